"""The local multi-region sandbox: `polyregion up|down|status|fault`.

One module per concept: `plan` (addresses and ports from the topology), `profile` (timings),
`process` (child processes), `aws_endpoint` (a region's moto + fault layer), `edge` (the
CloudFront-like proxies), `events`, `faults`, `control` (the control API), `client`
(`SandboxClient`), `supervisor` (starts and stops everything), `commands` (the CLI);
`route53/` is the Route 53 emulation (control plane, health checkers, DNS server).
"""
