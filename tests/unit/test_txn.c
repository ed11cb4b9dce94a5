/* store/txn: the change protocol the config, stores and sessions share,
 * run over a document kind kept in memory that counts what was done. */
#include "unit.h"
#include "store/txn.h"

struct mem {
	cJSON *stored;     /* what a save wrote */
	int version;       /* bumped by every save; load remembers it */
	int seen;          /* the version load gave out */
	int locks, unlocks, loads, saves, keeps;
	int stale;         /* how many saves say -ESTALE (another writer won) */
	int save_fails;    /* the next save fails with EIO */
	int also_then, also_undo, then_fails;
};

static int mem_lock(void *self, struct nv_err *err)
{
	(void)err;
	struct mem *m = self;
	m->locks++;
	return 7;
}

static void mem_unlock(void *self, int handle)
{
	struct mem *m = self;
	assert_int_equal(handle, 7);
	m->unlocks++;
}

static int mem_load(void *self, cJSON **doc, struct nv_err *err)
{
	(void)err;
	struct mem *m = self;
	m->loads++;
	m->seen = m->version;
	*doc = cJSON_Duplicate(m->stored, 1);
	return 0;
}

static int mem_save(void *self, cJSON *doc, struct nv_err *err)
{
	struct mem *m = self;
	m->saves++;
	if (m->stale > 0) {
		m->stale--;
		m->version++; /* the other writer's version */
		return -ESTALE;
	}
	if (m->save_fails)
		return nv_fail(err, EIO, "disk full");
	cJSON_Delete(m->stored);
	m->stored = doc;
	m->version++;
	return 0;
}

static int mem_keep(void *self, cJSON *doc, struct nv_err *err)
{
	(void)err;
	struct mem *m = self;
	m->keeps++;
	cJSON_Delete(doc);
	return 0;
}

static const struct txn_doc locked = { mem_lock, mem_unlock, mem_load, mem_save, mem_keep, 0 };
static const struct txn_doc cas = { NULL, NULL, mem_load, mem_save, NULL, 3 };

static int add_x(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)err;
	int *calls = arg;
	(*calls)++;
	cJSON_DeleteItemFromObject(doc, "x");
	cJSON_AddNumberToObject(doc, "x", *calls);
	return 0;
}

static int unchanged(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)doc, (void)arg, (void)err;
	return 1;
}

static int refuse(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)doc, (void)arg;
	return nv_fail(err, EINVAL, "bad input");
}

static int then_fn(void *arg, struct nv_err *err)
{
	struct mem *m = arg;
	m->also_then++;
	return m->then_fails ? nv_fail(err, EIO, "store write failed") : 0;
}

static void undo_fn(void *arg)
{
	((struct mem *)arg)->also_undo++;
}

static void mem_init(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->stored = J("{\"x\":0}");
}

static void an_edit_is_written_under_the_lock(void **s)
{
	(void)s;
	struct mem m;
	int calls = 0;
	struct nv_err err = { 0 };
	mem_init(&m);
	assert_int_equal(txn_run(&locked, &m, add_x, &calls, NULL, &err), 0);
	assert_int_equal(cJSON_GetObjectItem(m.stored, "x")->valueint, 1);
	assert_int_equal(m.locks, 1);
	assert_int_equal(m.unlocks, 1);
	assert_int_equal(m.saves, 1);
	assert_int_equal(m.keeps, 0);
	cJSON_Delete(m.stored);
}

static void no_change_writes_nothing_and_keeps_what_was_read(void **s)
{
	(void)s;
	struct mem m;
	struct nv_err err = { 0 };
	mem_init(&m);
	assert_int_equal(txn_run(&locked, &m, unchanged, NULL, NULL, &err), 1);
	assert_int_equal(m.saves, 0);
	assert_int_equal(m.keeps, 1);
	assert_int_equal(m.unlocks, 1);
	cJSON_Delete(m.stored);
}

static void an_aborted_edit_writes_nothing(void **s)
{
	(void)s;
	struct mem m;
	struct nv_err err = { 0 };
	mem_init(&m);
	assert_int_equal(txn_run(&locked, &m, refuse, NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "bad input");
	assert_int_equal(m.saves + m.keeps, 0);
	assert_int_equal(m.unlocks, 1);
	cJSON_Delete(m.stored);
}

static void a_lost_race_edits_the_winner_again(void **s)
{
	(void)s;
	struct mem m;
	int calls = 0;
	struct nv_err err = { 0 };
	mem_init(&m);
	m.stale = 2;
	assert_int_equal(txn_run(&cas, &m, add_x, &calls, NULL, &err), 0);
	assert_int_equal(calls, 3);          /* once per version */
	assert_int_equal(m.loads, 3);
	assert_int_equal(m.seen, 2);         /* the last edit saw both winners */
	assert_int_equal(cJSON_GetObjectItem(m.stored, "x")->valueint, 3);
	cJSON_Delete(m.stored);
}

static void retries_end(void **s)
{
	(void)s;
	struct mem m;
	int calls = 0;
	struct nv_err err = { 0 };
	mem_init(&m);
	m.stale = 100;
	assert_int_equal(txn_run(&cas, &m, add_x, &calls, NULL, &err), -ESTALE);
	assert_int_equal(calls, 4);          /* the first round and 3 retries */
	assert_int_equal(cJSON_GetObjectItem(m.stored, "x")->valueint, 0);
	cJSON_Delete(m.stored);
}

static void also_is_undone_when_the_write_fails(void **s)
{
	(void)s;
	struct mem m;
	int calls = 0;
	struct nv_err err = { 0 };
	mem_init(&m);
	m.save_fails = 1;
	struct txn_also also = { then_fn, undo_fn, &m };
	assert_int_equal(txn_run(&locked, &m, add_x, &calls, &also, &err), -EIO);
	assert_int_equal(m.also_then, 1);
	assert_int_equal(m.also_undo, 1);
	assert_int_equal(m.unlocks, 1);
	assert_int_equal(cJSON_GetObjectItem(m.stored, "x")->valueint, 0);
	cJSON_Delete(m.stored);
}

static void a_failed_also_writes_nothing(void **s)
{
	(void)s;
	struct mem m;
	int calls = 0;
	struct nv_err err = { 0 };
	mem_init(&m);
	m.then_fails = 1;
	struct txn_also also = { then_fn, undo_fn, &m };
	assert_int_equal(txn_run(&locked, &m, add_x, &calls, &also, &err), -EIO);
	assert_string_equal(err.msg, "store write failed");
	assert_int_equal(m.saves + m.keeps + m.also_undo, 0);
	cJSON_Delete(m.stored);
}

static void also_runs_when_the_document_is_unchanged(void **s)
{
	(void)s;
	struct mem m;
	struct nv_err err = { 0 };
	mem_init(&m);
	struct txn_also also = { then_fn, undo_fn, &m };
	assert_int_equal(txn_run(&locked, &m, unchanged, NULL, &also, &err), 1);
	assert_int_equal(m.also_then, 1);
	assert_int_equal(m.saves, 0);
	assert_int_equal(m.keeps, 1);
	assert_int_equal(m.also_undo, 0);
	cJSON_Delete(m.stored);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_edit_is_written_under_the_lock),
		cmocka_unit_test(no_change_writes_nothing_and_keeps_what_was_read),
		cmocka_unit_test(an_aborted_edit_writes_nothing),
		cmocka_unit_test(a_lost_race_edits_the_winner_again),
		cmocka_unit_test(retries_end),
		cmocka_unit_test(also_is_undone_when_the_write_fails),
		cmocka_unit_test(a_failed_also_writes_nothing),
		cmocka_unit_test(also_runs_when_the_document_is_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
