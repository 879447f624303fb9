"""The web app (`assistant ui`): a Gradio workspace with one module per page.

app.py builds the Blocks from chat.py, dashboard.py, explore.py, replies.py, plans.py and data.py; state.py
holds what the pages share (store, cached analysis frame, assistant); format.py the small helpers.
Gradio is imported only inside these modules' functions, so `import assistant` stays fast.
"""

import os

# before any gradio import: otherwise it looks up an analytics host (unreachable offline, and not wanted)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
