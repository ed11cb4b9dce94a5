/* Words people type: /model lines, profile ids, order text, durations. */
#include "fuzz.h"
#include "store/profile.h"
#include "store/session.h"
#include "store/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	char *text = fuzz_text(data, size);
	struct model_cmd c;
	model_cmd_parse(text, &c, NULL);
	char id[PROFILE_ID_MAX + 1], prov[PROVIDER_MAX + 1];
	profile_id_parse(text, "anthropic", id, prov, NULL);
	profile_id_parse(text, NULL, id, prov, NULL);
	int64_t ms;
	duration_parse(text, &ms, NULL);
	session_id_check(text, NULL);
	free(text);
	return 0;
}
