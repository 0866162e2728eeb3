# Sourced by e2e tests that need certificates: make_test_pki DIR writes,
# with openssl's own commands (not zcp's generator), a CA (ca.pem), and
# leaves it signed for localhost + 127.0.0.1: good, expired, wrongname
# (other.example only), plus selfsigned (its own issuer). Each NAME.pem has
# NAME.key; pin_of CERT prints its sha256//BASE64 public-key pin.
# test_pki DIR: the certificates of make_test_pki in DIR for a test; skips
# the test without openssl, fails it when they cannot be made.
test_pki() {
  command -v openssl >/dev/null || skip "openssl not installed"
  make_test_pki "$1" || fail "could not make certificates"
}

make_test_pki() {
  local d=$1 name
  mkdir -p "$d"
  ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
  ec -x509 -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 -subj "/CN=zcp e2e CA $$" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  for name in good expired wrongname; do
    ec -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$name"
  done
  sign() {  # sign NAME DAYS SAN
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -days "$2" -extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null
  }
  sign good 30 "DNS:localhost,IP:127.0.0.1"
  sign expired -1 "DNS:localhost,IP:127.0.0.1"  # notAfter a day before notBefore: expired
  sign wrongname 30 "DNS:other.example"
  ec -x509 -keyout "$d/selfsigned.key" -out "$d/selfsigned.pem" -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
  for name in ca good expired wrongname selfsigned; do
    [ -s "$d/$name.pem" ] || { echo "make_test_pki: no $name.pem" >&2; return 1; }
  done
}

pin_of() {
  echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)"
}
