#!/usr/bin/env python3
"""Least privilege, shown: what each MetalLB daemon asked the API server (its
audit log) against what manifests/metallb.yaml grants its ServiceAccount.

  rbac_audit.py AUDIT_LOG RBAC_JSON [ALLOWED_UNUSED]

RBAC_JSON is `kubectl get clusterroles,clusterrolebindings,roles,rolebindings
-A -o json`. Prints, per account, every grant with the number of requests it
served, every request that was refused (403), and every grant no request
used. ALLOWED_UNUSED lists grants that may go unused, one per line as
`ACCOUNT VERB GROUP/RESOURCE  # why`. Exit 1 when a daemon was refused
anything or holds an unused grant not listed there.
"""
import json
import sys

NS = "metallb-system"
ACCOUNTS = ["controller", "speaker"]


def user(account):
    return f"system:serviceaccount:{NS}:{account}"


def bound(binding, account):
    for s in binding.get("subjects") or []:
        if s.get("kind") == "ServiceAccount" and s.get("name") == account and (
                s.get("namespace") or binding["metadata"].get("namespace")) == NS:
            return True
    return False


def grants(objects, account):
    """(verb, group, resource, namespace or None for cluster-wide, names)."""
    roles = {}
    for o in objects:
        if o["kind"] in ("ClusterRole", "Role"):
            key = (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])
            roles[key] = o.get("rules") or []
    out = []
    for b in objects:
        if b["kind"] not in ("ClusterRoleBinding", "RoleBinding") or not bound(b, account):
            continue
        ns = b["metadata"].get("namespace")
        ref = b["roleRef"]
        rules = roles.get((ref["kind"], ns if ref["kind"] == "Role" else "", ref["name"]), [])
        for r in rules:
            for g in r.get("apiGroups") or []:
                for res in r.get("resources") or []:
                    for v in r.get("verbs") or []:
                        out.append((v, g, res, ns, tuple(r.get("resourceNames") or [])))
    return sorted(set(out))


def serves(grant, e):
    verb, group, resource, ns, names = grant
    if not e.get("resourceRequest", True):
        return False
    res = e["resource"] + ("/" + e["subresource"] if e["subresource"] else "")
    return ((verb == "*" or verb == e["verb"]) and (group == "*" or group == e["apiGroup"])
            and (resource == "*" or resource == res)
            and (ns is None or ns == e["namespace"])
            and (not names or e["name"] in names))


def main():
    events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    objects = json.load(open(sys.argv[2]))["items"]
    allowed = set()
    if len(sys.argv) > 3:
        for line in open(sys.argv[3]):
            line = line.split("#")[0].strip()
            if line:
                allowed.add(tuple(line.split()))
    failed = False
    for account in ACCOUNTS:
        mine = [e for e in events if e["user"] == user(account)]
        print(f"{account}: {len(mine)} requests")
        for e in mine:
            if e["code"] == 403:
                failed = True
                print(f"  REFUSED {e['verb']} {e['apiGroup']}/{e['resource']}"
                      f"{'/' + e['subresource'] if e['subresource'] else ''}"
                      f" in {e['namespace'] or '(cluster)'} {e['name']}")
        for g in grants(objects, account):
            used = sum(1 for e in mine if e["code"] != 403 and serves(g, e))
            verb, group, resource, ns, names = g
            label = f"{verb} {group}/{resource}"
            where = f" in {ns}" if ns else ""
            if used:
                print(f"  {label}{where}: {used}")
            elif (account, verb, f"{group}/{resource}") in allowed:
                print(f"  {label}{where}: unused, allowed")
            else:
                failed = True
                print(f"  UNUSED {label}{where}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
