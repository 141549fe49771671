/**
 * Vocabulary for the natural-language search field: task synonyms, language
 * names, licence aliases, GPU memory sizes and stop words. Pure data, no logic
 * beyond trivial derived tables. Keys are lowercase; multi-word keys use single
 * spaces (the parser treats spaces and hyphens interchangeably).
 */

/** Hugging Face pipeline tag → words and phrases people use for that task. */
export const TASK_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'text-generation': [
    'llm', 'llms', 'large language model', 'large language models', 'language model', 'chat', 'chatbot',
    'chat bot', 'chat model', 'assistant', 'instruct', 'instruction tuned', 'instruction following',
    'generative', 'text generation', 'generate text', 'generation', 'completion', 'completions',
    'causal lm', 'conversational', 'dialogue', 'dialog',
  ],
  summarization: [
    'summarization', 'summarisation', 'summarize', 'summarise', 'summarizing', 'summarising', 'summarized',
    'summarised', 'summarizer', 'summariser', 'summary', 'summaries', 'condense', 'digest', 'tldr',
    'abstract', 'abstractive', 'abstractive summarization', 'extractive summarization',
  ],
  'token-classification': [
    'ner', 'named entity', 'named-entity', 'named entities', 'named entity recognition', 'entity extraction',
    'entity recognition', 'entities', 'extract entities', 'pii', 'pii detection', 'pii redaction',
    'redaction', 'redact', 'anonymization', 'anonymisation', 'de identification', 'pos tagging',
    'part of speech', 'token classification', 'sequence labeling', 'sequence labelling',
  ],
  'automatic-speech-recognition': [
    'asr', 'speech recognition', 'speech to text', 'speech-to-text', 'transcription', 'transcriptions', 'transcribe',
    'transcribing', 'transcriber', 'stt', 'dictation', 'voice recognition', 'audio transcription',
    'subtitles', 'subtitling',
  ],
  'text-to-speech': [
    'tts', 'text to speech', 'text-to-speech', 'speech synthesis', 'synthesize speech', 'synthesise speech', 'voice',
    'voices', 'voice synthesis', 'voice cloning', 'speech generation', 'read aloud', 'narration',
  ],
  'feature-extraction': [
    'embedding', 'embeddings', 'embed', 'vector', 'vectors', 'vectorize', 'vectorise', 'semantic search',
    'retrieval', 'dense retrieval', 'rag', 'feature extraction', 'sentence embedding', 'text embedding',
  ],
  'sentence-similarity': [
    'embedding', 'embeddings', 'sentence embedding', 'semantic similarity', 'similarity',
    'semantic search', 'retrieval', 'sentence transformer', 'sentence transformers', 'paraphrase',
    'paraphrase detection', 'deduplication', 'near duplicate',
  ],
  'text-ranking': [
    'rerank', 'reranker', 'reranking', 'reranked', 're rank', 're ranker', 're ranking', 'ranking',
    'ranker', 'cross-encoder', 'cross encoder', 'cross encoders', 'relevance', 'relevance ranking', 'passage ranking',
  ],
  translation: [
    'translate', 'translator', 'translating', 'translation', 'translations', 'mt', 'machine translation',
    'nmt', 'neural machine translation', 'localization', 'localisation',
  ],
  'question-answering': [
    'qa', 'question answering', 'answer questions', 'extractive qa', 'reading comprehension', 'squad',
  ],
  'document-question-answering': [
    'document ai', 'document understanding', 'document qa', 'document question answering', 'docvqa',
    'invoice', 'invoices', 'form', 'forms', 'form understanding', 'form parsing', 'layout',
    'layout analysis', 'receipt', 'receipts', 'document parsing', 'key information extraction', 'kie',
  ],
  'image-to-text': [
    'ocr', 'optical character recognition', 'text recognition', 'image captioning', 'captioning',
    'caption', 'captions', 'image to text', 'handwriting', 'handwriting recognition', 'image description',
  ],
  'image-classification': [
    'image classification', 'image classifier', 'classify images', 'image tagging', 'image recognition',
    'visual classification',
  ],
  'object-detection': [
    'object detection', 'detect objects', 'detection', 'detector', 'object detector', 'bounding box',
    'bounding boxes',
  ],
  'image-segmentation': [
    'segmentation', 'segment', 'segmenting', 'semantic segmentation', 'instance segmentation', 'panoptic',
    'background removal', 'matting',
  ],
  'text-classification': [
    'text classification', 'classification', 'classifier', 'classify', 'classifying', 'categorization',
    'categorisation', 'categorize', 'categorise', 'sentiment', 'sentiment analysis', 'intent',
    'intent detection', 'intent classification', 'topic classification', 'toxicity', 'moderation',
    'content moderation', 'spam', 'spam detection', 'emotion', 'language detection',
  ],
  'zero-shot-classification': [
    'zero-shot', 'zero shot', 'zeroshot', 'zero shot classification', 'nli', 'natural language inference', 'entailment',
  ],
  'fill-mask': [
    'fill mask', 'masked language model', 'masked language modeling', 'masked language modelling', 'mlm',
    'mask filling', 'cloze',
  ],
  'table-question-answering': [
    'table qa', 'table question answering', 'tabular qa', 'table', 'tables', 'tabular', 'spreadsheet',
  ],
};

/**
 * Short extra words a search engine should OR with a recognised task term
 * (placed after the pipeline tag in a term group). Kept small on purpose:
 * broad words such as "image" or "token" would swamp the ranking.
 */
export const TASK_EXPANSIONS: Readonly<Record<string, readonly string[]>> = {
  // Only words and phrases specific to the task: a generic word ("speech", "recognition",
  // "classification") would pull in every model that merely mentions it.
  'text-generation': ['llm', 'chat', 'instruct'],
  summarization: ['summarization', 'summarisation', 'summary', 'summarize', 'summarise'],
  'token-classification': ['ner', 'named entity', 'entity recognition', 'entity extraction'],
  'automatic-speech-recognition': ['asr', 'speech recognition', 'transcription', 'speech-to-text'],
  'text-to-speech': ['tts', 'speech synthesis', 'text-to-speech'],
  'feature-extraction': ['embedding', 'embeddings', 'vector', 'retrieval'],
  'sentence-similarity': ['embedding', 'semantic similarity'],
  'text-ranking': ['rerank', 'reranker', 'reranking', 'cross-encoder'],
  translation: ['translation', 'translate', 'machine-translation'],
  'question-answering': ['qa', 'question answering'],
  'document-question-answering': ['document ai', 'layout', 'docvqa'],
  'image-to-text': ['ocr', 'caption', 'captioning'],
  'image-classification': ['image classification', 'image classifier'],
  'object-detection': ['object detection', 'detector'],
  'image-segmentation': ['segmentation'],
  'text-classification': ['text classification', 'classifier'],
  'zero-shot-classification': ['zero-shot', 'nli'],
  'fill-mask': ['masked', 'mlm'],
  'table-question-answering': ['table', 'tabular'],
};

/** Language words (English names, a few native names/adjectives) → ISO 639-1 code. */
export const LANGUAGES: Readonly<Record<string, string>> = {
  english: 'en', japanese: 'ja', nihongo: 'ja', '日本語': 'ja', german: 'de', deutsch: 'de',
  french: 'fr', 'français': 'fr', francais: 'fr', spanish: 'es', 'español': 'es', espanol: 'es',
  castilian: 'es', chinese: 'zh', mandarin: 'zh', cantonese: 'zh', '中文': 'zh', korean: 'ko',
  '한국어': 'ko', arabic: 'ar', hindi: 'hi', portuguese: 'pt', 'português': 'pt', italian: 'it',
  italiano: 'it', dutch: 'nl', nederlands: 'nl', polish: 'pl', polski: 'pl', russian: 'ru',
  'русский': 'ru', turkish: 'tr', 'türkçe': 'tr', swedish: 'sv', svenska: 'sv', norwegian: 'no',
  danish: 'da', finnish: 'fi', czech: 'cs', greek: 'el', hebrew: 'he', ukrainian: 'uk',
  romanian: 'ro', hungarian: 'hu', vietnamese: 'vi', thai: 'th', indonesian: 'id', malay: 'ms',
  bengali: 'bn', urdu: 'ur', persian: 'fa', farsi: 'fa', swahili: 'sw', tamil: 'ta', catalan: 'ca',
  multilingual: 'multilingual', 'multi lingual': 'multilingual',
};

/** ISO 639-1 code → English display name (for constraint labels). */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  en: 'English', ja: 'Japanese', de: 'German', fr: 'French', es: 'Spanish', zh: 'Chinese', ko: 'Korean',
  ar: 'Arabic', hi: 'Hindi', pt: 'Portuguese', it: 'Italian', nl: 'Dutch', pl: 'Polish', ru: 'Russian',
  tr: 'Turkish', sv: 'Swedish', no: 'Norwegian', da: 'Danish', fi: 'Finnish', cs: 'Czech', el: 'Greek',
  he: 'Hebrew', uk: 'Ukrainian', ro: 'Romanian', hu: 'Hungarian', vi: 'Vietnamese', th: 'Thai',
  id: 'Indonesian', ms: 'Malay', bn: 'Bengali', ur: 'Urdu', fa: 'Persian', sw: 'Swahili', ta: 'Tamil',
  ca: 'Catalan', multilingual: 'multilingual',
};

/** Named licence groups (value arrays are shared by reference with LICENSE_ALIASES). */
export const LICENSE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  permissive: ['apache-2.0', 'mit', 'bsd-3-clause'],
  open: ['apache-2.0', 'mit', 'bsd-3-clause', 'cc-by-4.0'],
  llama: ['llama2', 'llama3', 'llama3.1', 'llama3.2', 'llama3.3', 'llama4'],
};

const PERMISSIVE = LICENSE_GROUPS.permissive ?? [];
const OPEN = LICENSE_GROUPS.open ?? [];
const LLAMA = LICENSE_GROUPS.llama ?? [];

/** Licence words → Hugging Face licence id(s). */
export const LICENSE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  apache: ['apache-2.0'], 'apache 2': ['apache-2.0'], 'apache 2.0': ['apache-2.0'], apache2: ['apache-2.0'],
  'apache v2': ['apache-2.0'], 'apache v2.0': ['apache-2.0'], mit: ['mit'], bsd: ['bsd-3-clause'],
  'bsd 3 clause': ['bsd-3-clause'], 'bsd 2 clause': ['bsd-2-clause'], permissive: PERMISSIVE,
  permissively: PERMISSIVE, open: OPEN, 'open source': OPEN, opensource: OPEN, 'cc by': ['cc-by-4.0'],
  'cc by 4.0': ['cc-by-4.0'], 'creative commons': ['cc-by-4.0'], 'cc by sa': ['cc-by-sa-4.0'],
  'cc by sa 4.0': ['cc-by-sa-4.0'], 'cc by nc': ['cc-by-nc-4.0'], 'cc by nc 4.0': ['cc-by-nc-4.0'],
  llama: LLAMA, 'llama 2': ['llama2'], llama2: ['llama2'], 'llama 3': ['llama3'], llama3: ['llama3'],
  'llama 3.1': ['llama3.1'], 'llama3.1': ['llama3.1'], 'llama 3.2': ['llama3.2'], 'llama3.2': ['llama3.2'],
  'llama 3.3': ['llama3.3'], 'llama3.3': ['llama3.3'], 'llama 4': ['llama4'], llama4: ['llama4'],
  gemma: ['gemma'], openrail: ['openrail'], gpl: ['gpl-3.0'], 'gpl 3.0': ['gpl-3.0'], gplv3: ['gpl-3.0'],
  agpl: ['agpl-3.0'], 'agpl 3.0': ['agpl-3.0'], mpl: ['mpl-2.0'], 'mpl 2.0': ['mpl-2.0'],
};

/**
 * Aliases that denote a licence on their own. All others ("mit", "llama 3",
 * "permissive", "open", ...) only count when followed by "licence"/"licensed"
 * or preceded by "licensed under", because they are also ordinary words or
 * model names.
 */
export const LICENSE_STANDALONE_ALIASES: ReadonlySet<string> = new Set([
  'apache', 'apache 2', 'apache 2.0', 'apache2', 'apache v2', 'apache v2.0', 'bsd 3 clause', 'bsd 2 clause',
  'cc by', 'cc by 4.0', 'creative commons', 'cc by sa', 'cc by sa 4.0', 'cc by nc', 'cc by nc 4.0',
  'openrail', 'gpl 3.0', 'gplv3', 'agpl 3.0', 'mpl 2.0',
]);

/**
 * GPU name → memory in GB. Keys with a memory suffix ("a100 80gb") are the
 * variants; a bare name gives the default (smallest common) variant.
 */
export const GPU_MEMORY_GB: Readonly<Record<string, number>> = {
  t4: 16, l4: 24, a10: 24, a10g: 24, a30: 24, a40: 48, l40: 48, l40s: 48,
  a100: 40, 'a100 40gb': 40, 'a100 80gb': 80, h100: 80, 'h100 80gb': 80, h200: 141,
  v100: 16, 'v100 16gb': 16, 'v100 32gb': 32, 'rtx 3090': 24, 3090: 24, 'rtx 4090': 24, 4090: 24,
  a6000: 48, 'rtx a6000': 48, 'rtx 6000 ada': 48, mi300x: 192,
};

/** GPU name → display name for labels. */
export const GPU_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  t4: 'NVIDIA T4', l4: 'NVIDIA L4', a10: 'NVIDIA A10', a10g: 'NVIDIA A10G', a30: 'NVIDIA A30',
  a40: 'NVIDIA A40', l40: 'NVIDIA L40', l40s: 'NVIDIA L40S', a100: 'NVIDIA A100', h100: 'NVIDIA H100',
  h200: 'NVIDIA H200', v100: 'NVIDIA V100', 'rtx 3090': 'NVIDIA RTX 3090', 3090: 'NVIDIA RTX 3090',
  'rtx 4090': 'NVIDIA RTX 4090', 4090: 'NVIDIA RTX 4090', a6000: 'NVIDIA RTX A6000',
  'rtx a6000': 'NVIDIA RTX A6000', 'rtx 6000 ada': 'NVIDIA RTX 6000 Ada', mi300x: 'AMD Instinct MI300X',
};

/** Filler words that never become search terms. */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'and', 'or', 'but', 'for', 'of', 'to', 'in', 'on', 'at', 'by', 'from', 'with',
  'without', 'under', 'over', 'into', 'onto', 'about', 'as', 'is', 'are', 'be', 'been', 'being', 'was',
  'were', 'it', 'its', 'this', 'that', 'these', 'those', 'which', 'who', 'what', 'whose', 'where', 'when',
  'how', 'i', "i'm", 'im', 'me', 'my', 'we', 'us', 'our', 'you', 'your', 'need', 'needs', 'needed',
  'want', 'wants', 'wanted', 'find', 'show', 'list', 'give', 'get', 'looking', 'look', 'search',
  'something', 'anything', 'some', 'any', 'model', 'models', 'please', 'can', 'could', 'would', 'should',
  'will', 'must', 'may', 'might', 'do', 'does', 'good', 'best', 'great', 'nice', 'recommend', 'suggest',
  'like', 'eg', 'e.g', 'etc', 'one', 'ones', 'has', 'have', 'having', 'also', 'very', 'really', 'just',
  'than', 'then', 'so', 'there', 'here', 'use', 'using', 'used', 'run', 'runs', 'running', 'fit', 'fits',
  'fitting', 'work', 'works', 'if', 'not', 'no', 'up', 'all', 'able', 'which', 'whatever', 'thing',
]);
