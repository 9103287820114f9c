cat <<A <<B
$(rm a)
A
`rm b`
B
cat <<-"C"
	$(not run)
	C
bash -c "$(cat <<'D'
rm -rf /
D
)"
