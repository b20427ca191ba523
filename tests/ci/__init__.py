"""The CI files and the tools that judge them (a package: its conftest is ci.conftest)."""
