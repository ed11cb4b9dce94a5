/* Agents the config declares. */
#include "store/agents.h"
#include "store/config.h"

static int add_agent(cJSON *cfg, void *arg, struct nv_err *err)
{
	cJSON *agents = config_obj(cfg, "agents");
	cJSON *list = cJSON_GetObjectItemCaseSensitive(agents, "list");
	if (!cJSON_IsArray(list)) {
		cJSON_DeleteItemFromObjectCaseSensitive(agents, "list");
		list = cJSON_AddArrayToObject(agents, "list");
	}
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "id", arg);
	cJSON_AddItemToArray(list, e);
	(void)err;
	return 0;
}

int home_agent_add(struct home *h, const char *agent, struct nv_err *err)
{
	int rc = agent_id_check(agent, err);
	return rc < 0 ? rc : home_config_change(h, add_agent, (void *)agent, err);
}
