# Sourced by the interop start scripts: a test CA and a server certificate for localhost / 127.0.0.1,
# the names the interop tests connect to and verify. Usage: make_test_certificates DIR/tls "CA name"
make_test_certificates() {
    local tls=$1 name=$2
    if [[ -s $tls/ca.pem && -s $tls/server.pem && -s $tls/server.key ]]; then
        return 0
    fi
    echo "start.sh: generating a test CA and a server certificate for localhost / 127.0.0.1"
    (
        cd "$tls"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
            -keyout ca.key -out ca.pem -subj "/CN=$name" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -sha256 \
            -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 825 -sha256 -extfile server.ext -out server.pem 2>/dev/null
        rm -f server.csr server.ext ca.srl
    )
}
