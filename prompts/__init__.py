"""Prompt files and the reply policy; installed as the package data `assistant._prompts` (see setup.py).

Edit the .md and .yaml files here, or point ASSISTANT_PROMPTS_DIR / ASSISTANT_REPLY_POLICY at copies.
"""
