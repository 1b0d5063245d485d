"""Data access: the AWS services the regional app uses, through boto3 with injectable endpoints."""
