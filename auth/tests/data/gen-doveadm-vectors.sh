#!/bin/sh
# Regenerates doveadm-vectors.txt with Debian's dovecot-core (`doveadm pw` needs
# no configuration). Format: SCHEME<TAB>PASSWORD<TAB>HASH, one vector a line;
# lines starting with '#' are comments. Passwords contain no tabs or newlines.
set -eu
out="$(dirname "$0")/doveadm-vectors.txt"
passwords='test
correct horse battery staple
pässwörd
пароль
密码🔑
$pec!al {chars} "quoted" \back
0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567'
{
    echo "# Made by: doveadm pw -s SCHEME [-r ROUNDS] -p PASSWORD"
    echo "# $(dpkg-query -W -f '${Package} ${Version}' dovecot-core 2>/dev/null || echo dovecot)"
    for spec in ARGON2ID ARGON2I; do
        printf '%s\n' "$passwords" | head -n 3 | while IFS= read -r pw; do
            printf '%s\t%s\t%s\n' "$spec" "$pw" "$(doveadm pw -s "$spec" -p "$pw")"
        done
    done
    for spec in BLF-CRYPT SHA512-CRYPT SHA256-CRYPT MD5-CRYPT MD5 CRYPT \
        SSHA512 SSHA256 SSHA SMD5 SHA512 SHA256 SHA SHA1 PLAIN CLEAR CLEARTEXT \
        PLAIN-MD5 LDAP-MD5 SCRAM-SHA-1 SCRAM-SHA-256 \
        SHA256.HEX SHA512.HEX SHA.HEX SSHA512.B64 SSHA512.HEX SSHA256.HEX SSHA.HEX \
        SMD5.HEX PLAIN.HEX PLAIN.B64 SHA256-CRYPT.HEX SHA512-CRYPT.B64 BLF-CRYPT.HEX \
        LDAP-MD5.HEX SHA256.B64 sha512-crypt ssha256.b64; do
        printf '%s\n' "$passwords" | while IFS= read -r pw; do
            printf '%s\t%s\t%s\n' "$spec" "$pw" "$(doveadm pw -s "$spec" -p "$pw")"
        done
    done
    for rounds in 1000 20000; do
        printf '%s\t%s\t%s\n' SHA512-CRYPT test "$(doveadm pw -s SHA512-CRYPT -r $rounds -p test)"
        printf '%s\t%s\t%s\n' SHA256-CRYPT test "$(doveadm pw -s SHA256-CRYPT -r $rounds -p test)"
    done
    printf '%s\t%s\t%s\n' BLF-CRYPT test "$(doveadm pw -s BLF-CRYPT -r 4 -p test)"
    printf '%s\t%s\t%s\n' BLF-CRYPT test "$(doveadm pw -s BLF-CRYPT -r 8 -p test)"
} >"$out"
