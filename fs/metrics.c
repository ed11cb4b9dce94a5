/* .nova-engine/metrics: Prometheus text exposition for node_exporter's
 * textfile collector or any scraper. Local facts and the last probe result
 * only: a scrape never starts a probe. */
#include "fs/metrics.h"
#include "store/health.h"
#include "store/oauth.h"
#include "store/refresh.h"
#include "store/rows.h"
#include "store/timefmt.h"
#include "store/watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct metric_args {
	struct fs *fs;
	const char *agent;
	struct out *o;
};

static const char *const help[] = {
	"# HELP nova_engine_credential_expiry_seconds Seconds until the credential expires (negative: expired).\n"
	"# TYPE nova_engine_credential_expiry_seconds gauge\n",
	"# HELP nova_engine_credential_state The credential's expiry state (1 for the current one).\n"
	"# TYPE nova_engine_credential_state gauge\n",
	"# HELP nova_engine_probe_result The last live check's result (1 for the current one).\n"
	"# TYPE nova_engine_probe_result gauge\n",
	"# HELP nova_engine_probe_latency_seconds How long the last live check took.\n"
	"# TYPE nova_engine_probe_latency_seconds gauge\n",
	"# HELP nova_engine_token_reads_total Reads of token files, per agent.\n"
	"# TYPE nova_engine_token_reads_total counter\n",
	"# HELP nova_engine_token_writes_total Credentials written through token files, per agent.\n"
	"# TYPE nova_engine_token_writes_total counter\n",
	"# HELP nova_engine_oauth_refreshes_total OAuth refreshes this daemon made.\n"
	"# TYPE nova_engine_oauth_refreshes_total counter\n",
	"# HELP nova_engine_oauth_refresh_failures Failed proactive refreshes in a row, per profile (0 after a success).\n"
	"# TYPE nova_engine_oauth_refresh_failures gauge\n",
	"# HELP nova_engine_oauth_refresh_due_seconds Seconds until the next proactive refresh (negative: due, or backing off until retry).\n"
	"# TYPE nova_engine_oauth_refresh_due_seconds gauge\n",
	"# HELP nova_engine_oauth_refresh_retry_seconds Seconds until a failed refresh is retried (0: not backing off).\n"
	"# TYPE nova_engine_oauth_refresh_retry_seconds gauge\n",
	"# HELP nova_engine_oauth_proactive_refreshes_total Refreshes made ahead of expiry, and failed ones.\n"
	"# TYPE nova_engine_oauth_proactive_refreshes_total counter\n",
};

/* Label values are ids we validated; escape \ and " anyway. */
static void label(char *out, size_t cap, const char *v)
{
	size_t o = 0;
	for (; *v && o + 2 < cap; v++) {
		if (*v == '\\' || *v == '"')
			out[o++] = '\\';
		out[o++] = *v;
	}
	out[o] = '\0';
}

static void profile_lines(struct metric_args *a, const struct cred_row *r)
{
	char id[2 * PROFILE_ID_MAX + 2], lbl[3 * PROFILE_ID_MAX];
	label(id, sizeof(id), r->id);
	snprintf(lbl, sizeof(lbl), "agent=\"%s\",profile=\"%s\",provider=\"%s\",type=\"%s\"", a->agent, id,
		 r->provider, cred_type_name(r->type));
	if (r->expires)
		out_printf(a->o, "nova_engine_credential_expiry_seconds{%s} %lld\n", lbl, (long long)(r->health.left_ms / 1000));
	out_printf(a->o, "nova_engine_credential_state{%s,state=\"%s\"} 1\n", lbl, health_label(&r->health));
	struct probe_outcome p;
	if (probe_cache_last(a->fs->probes, a->agent, r->id, &p)) {
		out_printf(a->o, "nova_engine_probe_result{%s,result=\"%s\"} 1\n", lbl, p.result);
		out_printf(a->o, "nova_engine_probe_latency_seconds{%s} %.3f\n", lbl, p.latency_ms / 1000.0);
	}
}

static int agent_lines(void *arg, const char *agent, int is_dir)
{
	struct metric_args *a = arg;
	(void)is_dir;
	a->agent = agent;
	struct store *st = fs_store(a->fs, agent);
	struct cred_row *rows = NULL;
	size_t n = 0;
	struct cred_filter all = { NULL, NULL, 1 }; /* the metrics show no place in the order */
	if (st && creds_list(st, &all, &rows, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			profile_lines(a, &rows[i]);
	cred_rows_free(rows, n);
	fs_store_put(a->fs, st);
	out_printf(a->o, "nova_engine_token_reads_total{agent=\"%s\"} %lu\n", agent, fs_counted(a->fs, agent, FS_TOKEN_READS));
	out_printf(a->o, "nova_engine_token_writes_total{agent=\"%s\"} %lu\n", agent, fs_counted(a->fs, agent, FS_TOKEN_WRITES));
	return 0;
}

/* The etcd backend's watch (none with the file backend). */
static int watch_lines(struct fs *fs, struct out *o)
{
	struct store_watch_stats w;
	store_watch_stats(fs->watch, &w);
	if (!w.active)
		return 0;
	out_puts(o, "# HELP nova_engine_etcd_watch_up 1 while the watch on other hosts' changes is connected.\n"
		    "# TYPE nova_engine_etcd_watch_up gauge\n");
	out_printf(o, "nova_engine_etcd_watch_up %d\n", w.up);
	out_puts(o, "# HELP nova_engine_etcd_revision The newest etcd revision of a store this daemon has seen.\n"
		    "# TYPE nova_engine_etcd_revision gauge\n");
	out_printf(o, "nova_engine_etcd_revision %lld\n", (long long)w.revision);
	out_puts(o, "# HELP nova_engine_etcd_watch_lag_seconds Seconds since the watch last delivered a change.\n"
		    "# TYPE nova_engine_etcd_watch_lag_seconds gauge\n");
	out_printf(o, "nova_engine_etcd_watch_lag_seconds %.3f\n",
		   w.last_event_ms ? (double)(now_ms() - w.last_event_ms) / 1000.0 : 0.0);
	out_puts(o, "# HELP nova_engine_etcd_watch_reconnects_total Watch streams resumed after a break.\n"
		    "# TYPE nova_engine_etcd_watch_reconnects_total counter\n");
	out_printf(o, "nova_engine_etcd_watch_reconnects_total %lu\n", w.reconnects);
	out_puts(o, "# HELP nova_engine_etcd_watch_rereads_total Full re-reads after etcd compacted the history.\n"
		    "# TYPE nova_engine_etcd_watch_rereads_total counter\n");
	return out_printf(o, "nova_engine_etcd_watch_rereads_total %lu\n", w.rereads);
}

static void refresh_lines(const struct refresh_info *ri, void *arg)
{
	struct out *o = arg;
	char id[2 * 256 + 2];
	int64_t now = now_ms();
	label(id, sizeof(id), ri->id);
	out_printf(o, "nova_engine_oauth_refresh_failures{agent=\"%s\",profile=\"%s\"} %d\n", ri->agent, id, ri->failures);
	if (!ri->rejected)
		out_printf(o, "nova_engine_oauth_refresh_due_seconds{agent=\"%s\",profile=\"%s\"} %lld\n", ri->agent, id,
			   (long long)((ri->due_at - now) / 1000));
	out_printf(o, "nova_engine_oauth_refresh_retry_seconds{agent=\"%s\",profile=\"%s\"} %lld\n", ri->agent, id,
		   (long long)(ri->retry_at > now ? (ri->retry_at - now) / 1000 : 0));
}

int render_metrics(struct fs *fs, const struct node *n, struct out *o)
{
	struct metric_args a = { fs, NULL, o };
	struct node agents = { .kind = N_AGENTS };
	if (n->local)
		return -EAGAIN; /* stat: a scrape opens every agent; show the last length */
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		out_puts(o, help[i]);
	tree_list(fs, &agents, agent_lines, &a);
	refresh_each(refresh_lines, o);
	out_printf(o, "nova_engine_oauth_proactive_refreshes_total{result=\"ok\"} %lu\n", refresh_done_count());
	out_printf(o, "nova_engine_oauth_proactive_refreshes_total{result=\"failed\"} %lu\n", refresh_failed_count());
	out_printf(o, "nova_engine_oauth_refreshes_total %lu\n", oauth_refresh_count());
	return watch_lines(fs, o);
}
