/* store/seal: the envelope refuses tampering, truncation, a wrong key and
 * a file moved to another agent. */
#include "unit.h"
#include "store/seal.h"
#include "store/secmem.h"

#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *PLAIN = "{\"version\":1,\"profiles\":{\"anthropic:a\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"sk-test-made-up\"}}}";

static char *sealed(const struct seal_key *k, const char *agent)
{
	char *out = NULL;
	assert_int_equal(seal_close(k, agent, PLAIN, strlen(PLAIN), &out, NULL), 0);
	return out;
}

static int try_open(const struct seal_key *k, const char *agent, const char *text, struct nv_err *e)
{
	char *plain = NULL;
	size_t len;
	int rc = seal_open(k, agent, "/x/auth-profiles.json", text, strlen(text), &plain, &len, e);
	if (rc == 0) {
		assert_string_equal(plain, PLAIN);
		secmem_free(plain);
	}
	return rc;
}

static void round_trip(void **s)
{
	struct seal_key *k;
	(void)s;
	assert_int_equal(seal_key_new(&k, NULL), 0);
	char *env = sealed(k, "main");
	assert_true(seal_is_envelope(env, strlen(env)));
	assert_null(strstr(env, "sk-test-made-up"));
	assert_int_equal(try_open(k, "main", env, NULL), 0);
	cJSON_free(env);
	seal_key_free(k);
}

static void agent_swap_refused(void **s)
{
	struct seal_key *k;
	struct nv_err e = { 0 };
	(void)s;
	seal_key_new(&k, NULL);
	char *env = sealed(k, "main");
	assert_int_equal(try_open(k, "work", env, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "/x/auth-profiles.json"));
	cJSON_free(env);
	seal_key_free(k);
}

static void every_flipped_ciphertext_byte_refused(void **s)
{
	struct seal_key *k;
	(void)s;
	seal_key_new(&k, NULL);
	char *env = sealed(k, "main");
	char *ct = strstr(env, "\"ciphertext\":\"") + 14;
	size_t n = strcspn(ct, "\"");
	for (size_t i = 0; i < n; i += 3) {
		char saved = ct[i];
		ct[i] = saved == 'A' ? 'B' : 'A';
		assert_int_equal(try_open(k, "main", env, NULL), -EBADMSG);
		ct[i] = saved;
	}
	assert_int_equal(try_open(k, "main", env, NULL), 0);
	cJSON_free(env);
	seal_key_free(k);
}

static void header_edit_refused(void **s)
{
	struct seal_key *k;
	(void)s;
	seal_key_new(&k, NULL);
	char *env = sealed(k, "main");
	char *nonce = strstr(env, "\"nonce\":\"") + 9;
	nonce[0] = nonce[0] == 'A' ? 'B' : 'A';
	assert_int_equal(try_open(k, "main", env, NULL), -EBADMSG);
	cJSON_free(env);
	seal_key_free(k);
}

static void truncation_refused(void **s)
{
	struct seal_key *k;
	struct nv_err e = { 0 };
	(void)s;
	seal_key_new(&k, NULL);
	char *env = sealed(k, "main");
	for (size_t cut = 1; cut < strlen(env); cut += 7) {
		char *part = strndup(env, cut);
		assert_int_not_equal(try_open(k, "main", part, &e), 0);
		free(part);
	}
	cJSON_free(env);
	seal_key_free(k);
}

static void wrong_key_refused_with_key_ids(void **s)
{
	struct seal_key *k1, *k2;
	struct nv_err e = { 0 };
	(void)s;
	seal_key_new(&k1, NULL);
	seal_key_new(&k2, NULL);
	char *env = sealed(k1, "main");
	assert_int_equal(try_open(k2, "main", env, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "wrong key"));
	assert_non_null(strstr(e.msg, k1->id));
	cJSON_free(env);
	seal_key_free(k1);
	seal_key_free(k2);
}

static void key_file_made_0600_and_readable_by_others_refused(void **s)
{
	char dir[] = "/tmp/nv-seal-XXXXXX", path[128];
	struct seal_key *k, *k2;
	struct nv_err e = { 0 };
	struct stat st;
	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/store.key", dir);
	assert_int_equal(seal_key_load(path, 0, &k, &e), -ENOENT);
	assert_int_equal(seal_key_load(path, 1, &k, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(seal_key_load(path, 0, &k2, &e), 0);
	assert_string_equal(k->id, k2->id);
	seal_key_free(k2);
	chmod(path, 0644);
	assert_int_equal(seal_key_load(path, 0, &k2, &e), -EPERM);
	assert_non_null(strstr(e.msg, "chmod 600"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	seal_key_free(k);
}

/* Processes sharing one key file (hosts given one copy, a daemon and a
 * command) that find it missing at once: one makes it, every other loads
 * that one, and none reads it before it is whole (the loser used to read
 * an empty file: "not a base64 32-byte key", a write lost at close). */
static void key_file_made_by_racing_processes_is_never_read_half_written(void **s)
{
	enum { PROCS = 4, ROUNDS = 200 };
	char dir[] = "/tmp/nv-seal-race-XXXXXX", path[512];
	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.key", dir);
	int failed = 0;
	for (int round = 0; round < ROUNDS; round++) {
		int go[2], ids[2];
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(ids), 0);
		for (int i = 0; i < PROCS; i++) {
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				char c, id[SEAL_KEYID_LEN + 2] = "!";
				struct seal_key *k = NULL;
				close(go[1]);
				if (read(go[0], &c, 1) < 0) /* all start at once: the pipe closes */
					_exit(2);
				if (seal_key_load(path, 1, &k, NULL) == 0)
					snprintf(id, sizeof(id), "%s", k->id);
				if (write(ids[1], id, sizeof(id)) != (ssize_t)sizeof(id))
					_exit(2);
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]);
		close(ids[1]);
		char first[SEAL_KEYID_LEN + 2] = "", id[SEAL_KEYID_LEN + 2];
		for (int i = 0; i < PROCS; i++) {
			assert_int_equal(read(ids[0], id, sizeof(id)), (ssize_t)sizeof(id));
			if (!first[0])
				snprintf(first, sizeof(first), "%s", id);
			failed += id[0] == '!' || strcmp(id, first) != 0;
		}
		close(ids[0]);
		while (wait(NULL) > 0)
			;
		unlink(path);
	}
	rmdir(dir);
	assert_int_equal(failed, 0);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(agent_swap_refused),
		cmocka_unit_test(every_flipped_ciphertext_byte_refused),
		cmocka_unit_test(header_edit_refused),
		cmocka_unit_test(truncation_refused),
		cmocka_unit_test(wrong_key_refused_with_key_ids),
		cmocka_unit_test(key_file_made_0600_and_readable_by_others_refused),
		cmocka_unit_test(key_file_made_by_racing_processes_is_never_read_half_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
