"""Japanese-aware text normalisation and n-gram tokens, the same for indexing and querying.

* NFKC: ＡＤＬ → adl, ｶﾞｰｾﾞ → ガーゼ, ①→1, ㍻ → 平成.
* Lower case, and katakana folded to hiragana (トメ = とめ, ロキソニン = ろきそにん), so a
  name found by its kana and a drug name typed in hiragana both match.
* Runs of letters and digits are cut into overlapping 2-character pieces (bigrams),
  and every character is also kept on its own (unigrams) for one-character queries.
  Punctuation and spaces separate runs and are not indexed.

The normalised text keeps a map back to the original characters, so that snippets
highlight the original text and not its normalised form.
"""

import unicodedata
from functools import lru_cache

# Katakana ァ (U+30A1) .. ヶ (U+30F6) → hiragana ぁ (U+3041) .. ゖ (U+3096).
_KATA_START, _KATA_END, _KANA_SHIFT = 0x30A1, 0x30F6, 0x60
_VOICING_MARKS = {"\u3099", "\u309a"}

# Text beyond this many normalised characters goes to a further index row (chunk),
# so positions stay exact (PostgreSQL keeps positions only up to 16,383).
CHUNK_CHARS = 8000
CHUNK_OVERLAP = 100
# Longest query accepted (characters of the normalised query); longer input is cut.
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
# Characters that only ever separate words in a query (search syntax elsewhere,
# brackets and Japanese punctuation). Others (. / - %) stay inside a term, so 36.8
# and 128/76 are matched as written.
_QUERY_SEPARATORS = str.maketrans({c: " " for c in '"*()^:{}[]+\'<>|!?,;、。「」『』【】・'})


@lru_cache(maxsize=16384)
def _fold_char(ch):
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower():
        code = ord(c)
        if _KATA_START <= code <= _KATA_END:
            c = chr(code - _KANA_SHIFT)
        out.append(c)
    return "".join(out)


def normalize_with_map(text):
    """(normalised text, [index in ``text`` of each normalised character])."""
    chars, origin = [], []
    for i, ch in enumerate(text or ""):
        folded = _fold_char(ch)
        for c in folded:
            if c in _VOICING_MARKS and chars:
                # Half-width ｶﾞ arrives as カ + combining mark: compose (が), keep the origin.
                composed = unicodedata.normalize("NFC", chars[-1] + c)
                if len(composed) == 1:
                    chars[-1] = _fold_char(composed)
                    continue
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


def normalize(text):
    return normalize_with_map(text)[0]


def is_word_char(c):
    return c.isalnum()


def runs(normalised):
    """Maximal runs of letters/digits, in order."""
    out, current = [], []
    for c in normalised:
        if is_word_char(c):
            current.append(c)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def grams(normalised):
    """(bigrams, unigrams): two lists of tokens with aligned positions.

    Position ``i`` of both lists belongs to the same character: the bigram that starts
    there (or the single character at the end of a run) and the character itself.
    """
    bigrams, unigrams = [], []
    for run in runs(normalised):
        for i, c in enumerate(run):
            bigrams.append(run[i : i + 2])
            unigrams.append(c)
    return bigrams, unigrams


def chunks(normalised):
    """Split long normalised text into overlapping pieces (one index row each)."""
    if len(normalised) <= CHUNK_CHARS:
        return [normalised]
    step = CHUNK_CHARS - CHUNK_OVERLAP
    return [normalised[i : i + CHUNK_CHARS] for i in range(0, len(normalised) - CHUNK_OVERLAP, step)]


class Query:
    """A parsed user query: terms that must all appear (each as an exact phrase).

    ``terms`` are normalised strings; each is matched as adjacent n-grams in the
    index and then confirmed on the normalised text. FTS syntax has no meaning
    here: quotes, ``*``, ``NEAR``, ``OR`` and parentheses are plain characters,
    which are not indexed and so only separate words.
    """

    def __init__(self, raw):
        raw = (raw or "")[: MAX_QUERY_CHARS * 4]
        normalised = normalize(raw)[:MAX_QUERY_CHARS].translate(_QUERY_SEPARATORS)
        terms = []
        for word in normalised.split():
            word_runs = runs(word)
            if word_runs and word not in terms:
                terms.append(word)
        self.raw = raw
        self.terms = terms[:MAX_TERMS]

    def __bool__(self):
        return bool(self.terms)

    def term_runs(self):
        """[[run, ...] per term]: the pieces of each term the index can match."""
        return [runs(term) for term in self.terms]

    def matches(self, normalised_text):
        """Confirm on the normalised text: every term occurs (punctuation inside a term included)."""
        return all(self._term_in(term, normalised_text) for term in self.terms)

    @staticmethod
    def _term_in(term, text):
        if term in text:
            return True
        # Punctuation in a term is only a separator: 36.8 should find "36.8", and
        # "ﾛｷｿﾆﾝ(60)" should find "ロキソニン 60"; compare the runs in order.
        pieces = runs(term)
        if len(pieces) <= 1:
            return bool(pieces) and pieces[0] in text
        return " ".join(pieces) in " ".join(runs(text))

    def spans(self, normalised_text):
        """[(start, end)] of every occurrence of every term in the normalised text."""
        found = []
        for term in self.terms:
            needles = [term] if term in normalised_text else runs(term)
            for needle in needles:
                start = normalised_text.find(needle)
                while start != -1 and needle:
                    found.append((start, start + len(needle)))
                    start = normalised_text.find(needle, start + 1)
        found.sort()
        merged = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged
