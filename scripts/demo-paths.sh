# The demo appliance's names, shared by scripts/demo.sh and scripts/uninstall.sh (sourced, not run).
demo_store=/var/lib/coffer/demo-store
demo_url="local://$demo_store"
demo_mountpoint=/mnt/coffer-demo
demo_share=coffer-demo
demo_owner=coffer
demo_slug=mnt-coffer-demo
demo_unit="coffer-$(systemd-escape --path "$demo_mountpoint").service"
demo_unitfile="/etc/systemd/system/$demo_unit"
demo_samba_password=/etc/coffer/demo-samba-password
demo_log=/var/log/coffer-demo.log
# Set when install.sh started the system smbd itself (no systemd): uninstall stops only that one.
demo_smbd_marker=/run/coffer/install-started-smbd
systemd_is_pid1() { [ -d /run/systemd/system ]; }
demo_is_mounted() { grep -qs " $demo_mountpoint fuse.coffer " /proc/mounts; }
