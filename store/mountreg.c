/* A registry of our mounts: one small file per mountpoint. */
#include "store/mountreg.h"
#include "store/fileio.h"
#include "store/secmem.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* <state>/mounts/<32 hex digits of the mountpoint's hash> */
static void entry_path(struct home *h, const char *mountpoint, char *out, size_t cap)
{
	unsigned char hash[16];
	char hex[sizeof(hash) * 2 + 1];
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)mountpoint, strlen(mountpoint), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	snprintf(out, cap, "%s/mounts/%s", home_state_dir(h), hex);
}

int mountreg_add(struct home *h, const char *mountpoint, struct nv_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 48];
	snprintf(dir, sizeof(dir), "%s/mounts", home_state_dir(h));
	int rc = dir_make(dir, 0700, err);
	entry_path(h, mountpoint, path, sizeof(path));
	/* unsynced: written before the mount serves, so its two fsyncs (2 ms
	 * and more) delayed the first request; a mount never outlives the
	 * power loss they guard against */
	return rc < 0 ? rc : file_replace_unsynced(path, mountpoint, strlen(mountpoint), 0600, err);
}

void mountreg_remove(struct home *h, const char *mountpoint)
{
	char path[PATH_MAX + 48];
	entry_path(h, mountpoint, path, sizeof(path));
	unlink(path);
}

int mountreg_has(struct home *h, const char *mountpoint)
{
	char path[PATH_MAX + 48], *text;
	size_t len;
	entry_path(h, mountpoint, path, sizeof(path));
	if (file_read(path, PATH_MAX, &text, &len, NULL) < 0)
		return 0;
	int ours = len == strlen(mountpoint) && memcmp(text, mountpoint, len) == 0;
	secmem_free(text);
	return ours;
}
