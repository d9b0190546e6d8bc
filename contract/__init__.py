"""The job contract between the gateway, the function runtime and the local stack.

A leaf: it imports the standard library only, and every deployable may import it.

- `records`: a MinIO / S3 notification read into the objects it announces, keys decoded once
- `job`: the job the gateway sends and the supervisor runs (the MinIO event plus `OscarJob`)
- `results`: an attempt's result record, as the function writes it and the gateway reads it
- `batch`: several jobs of one service in one invocation (a batch of one is a `job`'s bytes)
- `identity`: which version id tells one upload from another
- `paths`: `bucket/prefix`
- `naming`: secrets, their mount and the shipped script's name
- `environment`: the environment names each deployable reads and the script gets
- `settings`: small readers of settings shared by the config loaders
- `errors`: `ContractError` and its kinds, which each deployable maps to its own 400
"""
