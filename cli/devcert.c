/* SPDX-License-Identifier: MIT */
/*
 * `tina4 serve --dev-cert`: a local CA and a certificate for localhost,
 * made once under .tina4/ with the openssl command, then used through
 * TINA4_TLS_CERT / TINA4_TLS_KEY. The CA key never leaves .tina4/ (which
 * `tina4 init` puts in .gitignore).
 */
#include "cli.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR  ".tina4"
#define CA   DIR "/dev-ca.pem"
#define CAK  DIR "/dev-ca.key"
#define CERT DIR "/dev-cert.pem"
#define KEY  DIR "/dev-key.pem"
#define CSR  DIR "/dev-cert.csr"
#define EXT  DIR "/dev-cert.ext"

static bool exists(const char *p)
{
    return access(p, R_OK) == 0;
}

static int run(char *const argv[])
{
    int rc = t4_cli_run(argv);
    if (rc != 0)
        fprintf(stderr, "tina4 serve --dev-cert: `%s %s` failed (is the openssl command installed?)\n",
                argv[0], argv[1]);
    return rc;
}

static int make(void)
{
    mkdir(DIR, 0700);
    FILE *f = fopen(EXT, "w");
    if (!f) {
        perror("tina4 serve --dev-cert: " EXT);
        return -1;
    }
    fputs("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n"
          "extendedKeyUsage=serverAuth\n",
          f);
    fclose(f);
    char *ca[] = {"openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:P-256",
                  "-nodes",
                  "-days",
                  "825",
                  "-subj",
                  "/CN=tina4 local development CA",
                  "-keyout",
                  CAK,
                  "-out",
                  CA,
                  NULL};
    char *req[] = {"openssl", "req",   "-newkey",       "ec",      "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes",  "-subj", "/CN=localhost", "-keyout", KEY,        "-out",
                   CSR,       NULL};
    char *sign[] = {"openssl",         "x509",  "-req", "-in",      CSR, "-CA",  CA,   "-CAkey", CAK,
                    "-CAcreateserial", "-days", "825",  "-extfile", EXT, "-out", CERT, NULL};
    if (run(ca) != 0 || run(req) != 0 || run(sign) != 0)
        return -1;
    chmod(CAK, 0600);
    chmod(KEY, 0600);
    unlink(CSR);
    char cwd[4096];
    printf("Made a local CA and a certificate for localhost, 127.0.0.1 and ::1 in %s/" DIR "/\n"
           "Trust the CA once to open https://localhost without a warning:\n"
           "  Debian/Ubuntu: sudo cp " CA " /usr/local/share/ca-certificates/tina4-dev-ca.crt"
           " && sudo update-ca-certificates\n"
           "  Chromium/Chrome (Linux): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n tina4-dev -i " CA "\n"
           "  Firefox: Settings > Privacy & Security > Certificates > View Certificates > Import " CA "\n"
           "  curl: curl --cacert " CA " https://localhost:PORT/\n",
           getcwd(cwd, sizeof cwd) ? cwd : ".");
    return 0;
}

int t4_cli_dev_cert(void)
{
    if (!(exists(CA) && exists(CERT) && exists(KEY)) && make() != 0)
        return T4_CLI_ERROR;
    setenv("TINA4_TLS_CERT", CERT, 1);
    setenv("TINA4_TLS_KEY", KEY, 1);
    return 0;
}
