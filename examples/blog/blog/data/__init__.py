"""The blog's own data: posts, users, the sign-in audit and throttle rows, cover images.

Written on plain boto3 and the generic helpers of polyregion.data.items; nothing in polyregion
imports it (the blog is an example app like any other).
"""
