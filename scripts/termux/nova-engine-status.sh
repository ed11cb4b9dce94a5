#!/data/data/com.termux/files/usr/bin/sh
# Termux:Widget script: asks the gateway host over ssh how its credentials
# are and shows it as a toast (and a notification when something is wrong).
# Copy to ~/.shortcuts/ on the phone; set NOVA_HOST (an ssh host alias).
host=${NOVA_HOST:-gateway}
out=$(ssh -o BatchMode=yes -o ConnectTimeout=10 "$host" 'nova-engine models status --check' 2>&1)
code=$?
case $code in
0) summary="nova-engine: all credentials healthy" ;;
1) summary="nova-engine: credential expired or missing" ;;
2) summary="nova-engine: credential expiring within 24 h" ;;
*) summary="nova-engine: cannot reach $host ($code)" ;;
esac
status=$(printf '%s\n' "$out" | sed -n '/OAuth\/token status/,$p' | tail -n +2)
termux-toast -g top "$summary${status:+
$status}"
[ $code -ne 0 ] && termux-notification --title "nova-engine" --content "$summary"
exit 0
