"""Packages: everything under assistant/, plus the top-level prompts/ folder installed as `assistant._prompts`.

prompts/ stays at the top level, where users edit it; pyproject's `packages.find` only sees folders under
their own names, so the mapping that puts prompts/ into the wheel (and, in an editable install, points
`assistant._prompts` back at the checkout's prompts/) is declared here. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["assistant*"]) + ["assistant._prompts"],
    package_dir={"assistant._prompts": "prompts"},
)
