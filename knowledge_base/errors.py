"""Errors of the knowledge base; user messages for the codes live in the services' catalogs."""

from __future__ import annotations

from core.errors import AppError, ConfigurationError, InvalidInput, NotFound, ServiceUnavailable


class KnowledgeError(AppError):
    """Base of the knowledge base's errors."""

    code = "kb.error"


class ModelMismatch(ConfigurationError, KnowledgeError):
    """The index was built with another embedding model; mixing vectors would corrupt it.

    Params: ``index_model``, ``configured_model``.
    """

    code = "index.model_mismatch"


class EmbeddingModelUnavailable(ConfigurationError, KnowledgeError):
    """The configured embedding model cannot be loaded (unknown name, missing path).

    Params: ``model``, ``detail``.
    """

    code = "kb.embedding_unavailable"


class RerankerUnavailable(ConfigurationError, KnowledgeError):
    """The configured cross-encoder cannot be loaded from its path.

    Params: ``model``, ``detail``.
    """

    code = "kb.reranker_unavailable"


class VectorStoreUnavailable(ServiceUnavailable, KnowledgeError):
    """The Chroma server (or on-disk store) cannot be reached. Params: ``service``, ``detail``."""

    code = "kb.store_unavailable"


class DocumentNotFound(NotFound, KnowledgeError):
    """No indexed document has this id. Params: ``doc_id``."""

    code = "kb.document_not_found"


class QuestionNotFound(NotFound, KnowledgeError):
    """No logged question has this id. Params: ``question_id``."""

    code = "kb.question_not_found"


class CitationNotFound(NotFound, KnowledgeError):
    """The answer has no citation with this number. Params: ``question_id``, ``number``."""

    code = "kb.citation_not_found"


class InvalidDocument(InvalidInput, KnowledgeError):
    """A document or chunk that cannot be indexed (empty id, empty title...). Params: ``detail``."""

    code = "kb.invalid_document"


class EmptyQuestion(InvalidInput, KnowledgeError):
    """The question has no words to search for."""

    code = "kb.empty_question"


class QuestionTooLong(InvalidInput, KnowledgeError):
    """A long message in which no question could be found. Params: ``length``, ``limit``."""

    code = "kb.question_too_long"


class InvalidSynonyms(InvalidInput, KnowledgeError):
    """A synonym group that cannot be added (fewer than two expressions...). Params: ``detail``;
    ``too_long`` (with ``max_expressions``, ``max_chars``) for a group over the limits;
    ``unreadable`` (with ``path``) when the trainers' file is not UTF-8 text."""

    code = "kb.invalid_synonyms"

    def message_variant(self) -> str | None:
        if self.params.get("unreadable"):
            return "unreadable"
        return "too_long" if self.params.get("too_long") else None


class SynonymGroupNotFound(NotFound, KnowledgeError):
    """No group added by trainers holds every expression named. Params: ``expressions``."""

    code = "kb.synonyms_not_found"


class SynonymGroupShipped(InvalidInput, KnowledgeError):
    """The expressions named belong to a group shipped with Sinergi, which trainers cannot
    remove (only their own groups). Params: ``group``."""

    code = "kb.synonyms_shipped"


class SynonymGroupsAmbiguous(InvalidInput, KnowledgeError):
    """Several trainers' groups hold the expressions named. Params: ``expressions``,
    ``count``, ``groups``."""

    code = "kb.synonyms_ambiguous"


class EvalDataError(InvalidInput, KnowledgeError):
    """A BEIR file is missing or malformed. Params: ``path``, ``detail``."""

    code = "kb.eval_data"


class CuratedAnswerNotFound(NotFound, KnowledgeError):
    """No curated answer has this id. Params: ``curated_id``."""

    code = "kb.curated_not_found"


class CuratedAnswerRetired(InvalidInput, KnowledgeError):
    """The curated answer was retired; it can no longer be edited. Params: ``curated_id``."""

    code = "kb.curated_retired"


class InvalidCuratedAnswer(InvalidInput, KnowledgeError):
    """A curated answer needs a question and an answer with words."""

    code = "kb.curated_invalid"


class CuratedAnswerTooLong(InvalidInput, KnowledgeError):
    """A curated question or answer longer than a Telegram message can show. Params:
    ``length``, ``limit`` (characters)."""

    code = "kb.curated_too_long"


class GapNotFound(NotFound, KnowledgeError):
    """No knowledge gap has this id. Params: ``gap_id``."""

    code = "kb.gap_not_found"


class InvalidGapStatus(InvalidInput, KnowledgeError):
    """A gap status that does not exist. Params: ``status``, ``allowed``."""

    code = "kb.gap_status"
