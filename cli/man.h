/* `nova-engine --man 1|5`: print a man page (used by make). */
#ifndef NV_MAN_H
#define NV_MAN_H
int man_print(const char *section);
#endif
