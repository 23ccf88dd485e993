#!/usr/bin/env bash
# Creates every Secret the deployment references, with fresh random passwords, in the
# namespace oco; no value is ever committed. Review, then run once per cluster (it skips
# a Secret that exists, so it never changes a password in use):
#   bash deploy/k8s/secrets.example.sh            # or NAMESPACE=… bash …
# Passwords are hex: they go into URLs (OCO_DATABASE_URL) unescaped.
# Not made here, bring your own: the TLS Secrets oco-nats-tls and oco-nats-cluster-tls
# (tls.crt, tls.key, e.g. from cert-manager, with the names oco-nats and
# *.oco-nats-headless), oco-nats-ca (ca.crt: the CA that signed them) and oco-pg-backup
# (ACCESS_KEY_ID, ACCESS_SECRET_KEY of the backup bucket).
set -euo pipefail
cd "$(dirname "$0")"
namespace=${NAMESPACE:-oco}
password() { openssl rand -hex 24; }
exists() { kubectl -n "$namespace" get secret "$1" >/dev/null 2>&1; }

# The broker's users, as generated into the NATS Helm values (one Secret each, key
# `password`): the provisioner, each service, the portal, each uitvoerder's office, the
# auditor. Hand the portal's and the offices' passwords to those parties.
for user in $(sed -n 's/^ *- user: \(.*\)$/\1/p' nats/values.yaml); do
  exists "oco-nats-$user" && continue
  kubectl -n "$namespace" create secret generic "oco-nats-$user" --from-literal=password="$(password)"
done

# PostgreSQL: one role per service and the auditor (CloudNativePG managed roles read them;
# the label lets the operator notice a changed password).
for name in intake assessment objection contracting auditor; do
  exists "oco-db-$name" && continue
  kubectl -n "$namespace" create secret generic "oco-db-$name" --type=kubernetes.io/basic-auth \
    --from-literal=username="oco_$name" --from-literal=password="$(password)"
  kubectl -n "$namespace" label secret "oco-db-$name" cnpg.io/reload=true
done

# Events encrypted at rest (OCO_CIPHER_KEY, AES-256). Optional, but decide before the first
# start and never change or lose it afterwards: the events recorded with it need it.
exists oco-cipher-key || kubectl -n "$namespace" create secret generic oco-cipher-key \
  --from-literal=key="$(openssl rand -base64 32)"
