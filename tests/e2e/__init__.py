"""The e2e tier: the README's examples, deployed and used the way a user would, on a real stack."""
