"""The scoring service: inference core (load, validate, predict, explain) and its API."""
