"""Data access for every app and the sandbox: boto3 clients with injectable endpoints,
provisioning of the declared resources, item helpers. The blog's own stores live with it
(examples/blog/blog/data)."""
