"""Shared foundations: canonical schemas, time parsing, workspace, store and lake handles."""
