"""The local multi-region sandbox (`polyregion up|status` are composed in polyregion/stack.py).

One module per concept: `plan` (addresses and ports from the topology), `profile` (timings),
`process` (child processes), `children` (their supervision: restarts with backoff),
`component` (what a plugged-in component gets and offers), `aws_endpoint` (a region's moto +
fault layer) with `moto_patches`, `edge` (the CloudFront-like proxies), `events`, `faults`,
`injector`, `control` (the control API), `client` (`SandboxClient`), `status` and
`status_types` (the status JSON, typed), `region_data` and `snapshot` (data across
`down`/`up`), `supervisor` (starts and stops everything), `commands` (`down`, `fault`);
`route53/` is the Route 53 emulation (control plane, health checkers, DNS server).
"""
