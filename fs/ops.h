/* The FUSE operations table of the credential filesystem. */
#ifndef NV_FS_OPS_H
#define NV_FS_OPS_H

#include "fs/tree.h"

struct fuse_operations;
extern const struct fuse_operations nova_ops;

#endif
