cat <<EOT > /etc/motd
hello $(whoami) from `hostname`
EOT
bash <<'SCRIPT'
terraform destroy -auto-approve
SCRIPT
psql -c "DROP TABLE users" <<-EOF2
	select 1;
	EOF2
