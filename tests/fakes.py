"""Every fake the tests share: stand-ins for embedders, sentiment readers, chat models and the Chinese NB.

Tests import them from here (`from fakes import ...`); fixtures that use them live in conftest.py. The
scripted OpenAI-compatible server is not here: it is a real HTTP server (openai_standin.py).
"""

from __future__ import annotations

import json

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from assistant.analysis.char_nb import CharNaiveBayes, train_char_nb
from assistant.analysis.sentiment import E5_NAME
from assistant.analysis.types import Sentiment
from assistant.embeddings import HashingEmbedder


# ------------------------------------------------------------------------------------------- embedders
class FakeE5(HashingEmbedder):
    """A hashing embedder that claims to be e5, counting how many texts it embeds."""

    def __init__(self):
        super().__init__(384)
        self.name = E5_NAME
        self.embedded = 0

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return super().embed_documents(texts)


class FailingEmbedder:
    """Wraps the hashing embedder and fails on the n-th batch, as a killed process would stop."""

    def __init__(self, fail_on: int):
        self.inner, self.calls, self.fail_on = HashingEmbedder(), 0, fail_on
        self.name, self.dim = self.inner.name, self.inner.dim

    def embed_documents(self, texts):
        self.calls += 1
        if self.calls == self.fail_on:
            raise KeyboardInterrupt
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


# ----------------------------------------------------------------------------------- sentiment readers
class KeywordSentiment:
    """A fake sentiment model for tests (the real one needs e5): a few words decide, so tests stay fast."""

    name = "fake-keywords-v1"
    NEGATIVE = ("slow", "late", "crash", "expensive", "price", "refund", "never", "down", "慢", "贵", "闪退", "退款")
    POSITIVE = ("love", "great", "thanks", "amazing", "好评", "不错")

    def predict(self, texts, langs=None, vectors=None):
        out = []
        for text in texts:
            low = text.lower()
            if any(w in low for w in self.NEGATIVE):
                out.append(Sentiment("negative", -0.7))
            elif any(w in low for w in self.POSITIVE):
                out.append(Sentiment("positive", 0.7))
            else:
                out.append(Sentiment("neutral", 0.0))
        return out


SEEDS = {  # seed texts for a SentimentModel over FakeE5
    "negative": ["terrible slow rude service", "broken and late", "服务太差"],
    "neutral": ["what time do you open", "how do I change my address", "怎么改地址"],
    "positive": ["great friendly helpful staff", "fast and delicious", "服务很好"],
}


def tiny_nb() -> CharNaiveBayes:
    """A Chinese character NB trained on a dozen phrases: knows 好吃/很好 from 难吃/太差, nothing else."""
    positive = ["很好吃", "好吃好吃", "服务很好", "非常满意", "味道很好", "好评"] * 3
    negative = ["太难吃", "难吃", "服务太差", "很失望", "差评", "味道很差"] * 3
    return train_char_nb(positive, negative, min_df=1)


# ----------------------------------------------------------------------------------------- chat models
class ScriptedModel(GenericFakeChatModel):
    """A fake chat model that accepts tools and remembers every prompt it was sent."""

    seen: list = []

    def bind_tools(self, tools, **kwargs):
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(messages)
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


def scripted(*replies) -> ScriptedModel:
    """A ScriptedModel that answers with `replies` (strings or AIMessages), in order, without streaming."""
    messages = [r if isinstance(r, AIMessage) else AIMessage(content=r) for r in replies]
    return ScriptedModel(messages=iter(messages), seen=[], disable_streaming=True)


class KeywordChat(BaseChatModel):
    """Answers the sentiment schema from keywords of the last message, counting its calls."""

    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "keyword-chat"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.calls += 1
        text = str(messages[-1].content).lower()
        label = ("negative" if any(w in text for w in ("slow", "broken", "rude", "太差")) else
                 "positive" if any(w in text for w in ("great", "love", "好吃")) else "neutral")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(json.dumps({"sentiment": label})))])
