"""The assistant: a LangGraph agent that answers, replies and plans from the stored feedback.

    from assistant.agent import Assistant
    answer = Assistant(settings).ask("top pricing complaints this week")

See graph.py for the two graphs (routed for small/no models, free tool calling for strong ones),
tools.py for the tools, router.py for how a request becomes a tool call, drafting.py for replies and
plans, compose.py for the text of tool results and citation markers, guard.py for untrusted text.
"""

from .service import Assistant
from .types import Answer, Draft, Event, ToolCall

__all__ = ["Assistant", "Answer", "Draft", "Event", "ToolCall"]
