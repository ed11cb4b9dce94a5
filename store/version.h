#ifndef NV_VERSION_H
#define NV_VERSION_H
#define NOVA_VERSION "0.1.0"
#endif
