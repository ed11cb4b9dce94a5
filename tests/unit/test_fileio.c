/* store/fileio: doctor's mode fix acts on what it opened, never through a
 * symbolic link; replacement goes through unpredictable temp names. */
#include "unit.h"
#include "store/fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/nv-fileio-XXXXXX";

static char *at(const char *name)
{
	static char path[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void fix_mode_sets_files_and_dirs(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	assert_int_equal(mkdir(at("d"), 0755), 0);
	int fd = open(at("f"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	assert_int_equal(file_fix_mode(at("d"), 0700, 0600, &e), 0);
	assert_int_equal(file_fix_mode(at("f"), 0700, 0600, &e), 0);
	assert_int_equal(mode_of(at("d")), 0700);
	assert_int_equal(mode_of(at("f")), 0600);
	chmod(at("f"), 0); /* unreadable even to its owner (root reads anyway) */
	assert_int_equal(file_fix_mode(at("f"), 0700, 0600, &e), 0);
	assert_int_equal(mode_of(at("f")), 0600);
}

static void fix_mode_never_follows_a_symlink(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	assert_int_equal(mkdir(at("target"), 0755), 0);
	int fd = open(at("target-file"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	assert_int_equal(symlink(at("target"), at("link-dir")), 0);
	assert_int_equal(symlink(at("target-file"), at("link-file")), 0);
	assert_int_equal(file_fix_mode(at("link-dir"), 0700, 0600, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "is a symbolic link: no mode is changed through a link"));
	assert_int_equal(file_fix_mode(at("link-file"), 0700, 0600, &e), -ELOOP);
	assert_int_equal(mode_of(at("target")), 0755);
	assert_int_equal(mode_of(at("target-file")), 0644);
}

static void fix_mode_refuses_what_is_not_a_file(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	assert_int_equal(mkfifo(at("fifo"), 0644), 0);
	assert_int_equal(file_fix_mode(at("fifo"), 0700, 0600, &e), -EINVAL);
	assert_int_equal(mode_of(at("fifo")), 0644);
}

static void replace_uses_random_temp_names_past_planted_links(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	char name[64];
	int fd = open(at("victim"), O_CREAT | O_WRONLY, 0644);
	assert_int_equal(write(fd, "v", 1), 1);
	close(fd);
	for (int seq = 0; seq < 16; seq++) { /* the old predictable names */
		snprintf(name, sizeof(name), "data.tmp.%ld.%d", (long)getpid(), seq);
		assert_int_equal(symlink(at("victim"), at(name)), 0);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(file_replace(at("data"), "new\n", 4, 0600, &e), 0);
	struct stat st;
	assert_int_equal(stat(at("victim"), &st), 0);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(mode_of(at("data")), 0600);
	/* no temp file left, and the planted links are as they were */
	DIR *d = opendir(dir);
	struct dirent *de;
	int links = 0;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".tmp."))
			continue;
		assert_int_equal(lstat(at(de->d_name), &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		links++;
	}
	closedir(d);
	assert_int_equal(links, 16);
}

static int setup(void **s)
{
	(void)s;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
	(void)s;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fix_mode_sets_files_and_dirs),
		cmocka_unit_test(fix_mode_never_follows_a_symlink),
		cmocka_unit_test(fix_mode_refuses_what_is_not_a_file),
		cmocka_unit_test(replace_uses_random_temp_names_past_planted_links),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
