"""Normalisation and n-grams: the same function for the index and the query."""

from search.text import Query, grams, normalize, normalize_with_map


def test_nfkc_width_and_case_fold():
    assert normalize("ＡＤＬ") == normalize("ADL") == "adl"
    assert normalize("ｶﾞｰｾﾞ") == normalize("ガーゼ") == "がーぜ"
    assert normalize("３６．８℃") == "36.8°c"


def test_katakana_is_folded_to_hiragana():
    assert normalize("フクイ トメ") == normalize("ふくい とめ")
    assert normalize("ロキソニン") == "ろきそにん"


def test_map_points_back_to_the_original_characters():
    original = "ﾛｷｿﾆﾝを服用"
    normalised, origin = normalize_with_map(original)
    assert normalised == "ろきそにんを服用"
    assert [original[i] for i in origin] == list("ﾛｷｿﾆﾝを服用")


def test_half_width_voiced_kana_compose_to_one_character():
    normalised, origin = normalize_with_map("ﾊﾞﾌｧﾘﾝ")
    assert normalised == "ばふぁりん"
    assert origin == [0, 2, 3, 4, 5]


def test_bigrams_and_unigrams_have_aligned_positions_per_run():
    bigrams, unigrams = grams(normalize("発熱あり。SpO2"))
    assert bigrams == ["発熱", "熱あ", "あり", "り", "sp", "po", "o2", "2"]
    assert unigrams == ["発", "熱", "あ", "り", "s", "p", "o", "2"]


def test_query_terms_are_phrases_and_syntax_is_plain_text():
    q = Query('"発熱" OR (咳*) NEAR')
    assert q.terms == ["発熱", "or", "咳", "near"]
    assert q.term_runs() == [["発熱"], ["or"], ["咳"], ["near"]]
    assert q.matches(normalize("発熱 咳 or near"))
    assert not q.matches(normalize("発熱と咳"))


def test_punctuation_inside_a_term_only_separates():
    q = Query("36.8")
    assert q.matches(normalize("体温３６．８度"))
    assert not q.matches(normalize("体温36度、8時"))


def test_empty_and_symbol_only_queries_have_no_terms():
    assert not Query("")
    assert not Query("   ")
    assert not Query("!!! ??? ***")
    assert not Query("😷🤒")


def test_long_query_is_cut():
    q = Query("あ" * 1000)
    assert sum(len(t) for t in q.terms) <= 200
