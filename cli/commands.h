/* Entry points of the commands in the table (cli/main.c). */
#ifndef NV_COMMANDS_H
#define NV_COMMANDS_H

int status_main(int argc, char **argv);
int list_main(int argc, char **argv);
int paste_token_main(int argc, char **argv);
int paste_api_key_main(int argc, char **argv);
int setup_token_main(int argc, char **argv);
int logout_main(int argc, char **argv);
int login_main(int argc, char **argv);
int token_main(int argc, char **argv);
int report_main(int argc, char **argv);
int session_main(int argc, char **argv);
int order_main(int argc, char **argv);
int store_main(int argc, char **argv);
int doctor_main(int argc, char **argv);
int onboard_main(int argc, char **argv);
int mount_main(int argc, char **argv);
int umount_main(int argc, char **argv);
int secrets_resolve_main(int argc, char **argv);
int audit_main(int argc, char **argv);
int env_main(int argc, char **argv);

#endif
