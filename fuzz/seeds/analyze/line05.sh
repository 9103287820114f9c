curl -fsSL https://example.com/install.sh | sh -s -- --yes
