"""Writes quality_set.json: care notes, patients and queries with their expected hits.

Run once by hand when the corpus changes (``python tests/search/data/build_quality_set.py``).
The notes are composed from hand-written sentences (visits, vital signs, medication,
wounds, meals, family messages), some typed with half-width katakana or
full-width letters as people do. Expected hits are judged here by a plain
reference reading of each query, independent of the search code: a note is
relevant when, after NFKC, lower case and reading katakana as hiragana, it
contains every word of the query; notes of the patient outside the searcher's
team are never expected.
"""

import json
import random
import unicodedata
from pathlib import Path

PATIENTS = [
    ("福井 トメ", "ふくい とめ"),
    ("若狭 ミツ", "わかさ みつ"),
    ("越前 一郎", "えちぜん いちろう"),
    ("坂井 ハル", "さかい はる"),
    ("大野 正雄", "おおの まさお"),
    ("勝山 キヨ", "かつやま きよ"),
    ("敦賀 健二", "つるが けんじ"),
    ("小浜 ウメ", "おばま うめ"),
]
HIDDEN_PATIENT = ("鯖江 シゲ", "さばえ しげ")  # not on the searcher's team

SENTENCES = [
    # Visits and vital signs
    "定期訪問しました。体温36.8度、血圧128/76、脈拍72、SpO2 97%。",
    "体温37.9度と発熱あり。咳と痰が増えています。",
    "本日より38.2℃の発熱、悪寒あり。主治医へ報告しました。",
    "解熱し、体温36.5度。食欲も戻ってきました。",
    "血圧150/90とやや高め。降圧剤の内服状況を確認しました。",
    "ＳｐＯ２ 93％まで低下、酸素1L/分で開始。",
    "呼吸音に左下肺で副雑音あり。吸引で黄色痰を中等量。",
    "夜間の咳が続いているとのこと。咳止めの追加を検討。",
    "脈拍不整あり、心電図を次回訪問時に予定。",
    "意識清明、会話はっきりしています。",
    # Medication
    "ロキソニン錠60mgを疼痛時に頓用で使用。",
    "ﾛｷｿﾆﾝ服用後、胃部不快の訴えあり。",
    "カロナール200mgを1回2錠、発熱時に使用しました。",
    "ｶﾛﾅｰﾙで解熱効果あり。",
    "マグミット錠330mgを毎食後に継続。排便コントロール良好。",
    "ﾏｸﾞﾐｯﾄを減量したところ、3日間排便なし。",
    "アムロジピン5mgの飲み忘れが2回ありました。",
    "ワーファリン内服中のため、PT-INRを採血で確認。",
    "ラシックス20mg開始後、尿量が増えています。",
    "インスリン注射の手技を家族と一緒に確認しました。",
    "服薬カレンダーを確認、飲み忘れなし。",
    "薬剤師より：残薬が多いため一包化を提案します。",
    # Wounds and skin
    "仙骨部の褥瘡はDESIGN-Rで改善傾向、処置継続します。",
    "褥瘡部にゲンタシン軟膏を塗布、ガーゼ保護。",
    "右踵に発赤あり、除圧マットを調整しました。",
    "ｶﾞｰｾﾞ交換時に浸出液は少量。",
    "両下肢に浮腫あり、弾性ストッキングを着用。",
    "皮膚の乾燥が強く、保湿剤を全身に塗布。",
    "転倒による右前腕の皮下出血を確認しました。",
    # Meals, excretion, bathing
    "食事は半分ほど摂取。水分は1日800mlほど。",
    "嚥下の状態を確認、とろみをつけて食事を再開。",
    "昼食は全量摂取、おかゆを美味しいと話されました。",
    "便秘気味のため、水分摂取を促しました。",
    "排便あり、普通便。腹部膨満なし。",
    "尿の混濁あり、尿検査を提出しました。",
    "訪問入浴を実施、皮膚トラブルなし。",
    "口腔ケアを実施、義歯の清掃も行いました。",
    "点滴（ソリタT3 500ml）を施行、刺入部問題なし。",
    # Function and rehabilitation
    "リハビリで歩行器を使って10m歩行できました。",
    "ＡＤＬは食事・整容が自立、入浴は全介助。",
    "ADL低下あり、ベッド上での生活が中心になっています。",
    "夜間にトイレへ行こうとして転倒、外傷なし。",
    "痛みの訴えあり（NRS 4）、頓用薬を使用。",
    "ＮＲＳ 2まで軽減、表情も穏やかです。",
    # Care coordination and family
    "ケアプランの見直しについて担当者会議を調整中。",
    "サービス担当者会議は来週火曜14時からです。",
    "デイサービスは予定どおり利用。",
    "ショートステイの利用を家族が希望されています。",
    "ご家族より、最近よく眠れているとの話あり。",
    "長女様より：週末は私が泊まりで付き添います。",
    "長男様が来訪、介護負担について相談がありました。",
    "ご家族へ、発熱時は訪問看護へ連絡するよう伝えました。",
    "次回、採血予定です。",
    "主治医の往診は月2回、第2・第4木曜日。",
    "歯科医師による訪問診療で義歯を調整しました。",
    "看取りについて、ご本人とご家族の意向を確認しました。",
]
NAME_MENTIONS = [
    "{kana}さん、笑顔が見られました。",
    "{name}様の奥様より電話連絡あり。",
]


def fold(text):
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in text)


def relevant(note_text, query):
    text = fold(note_text)
    return all(word in text for word in fold(query).split())


QUERIES = [
    # two-character words
    "発熱", "褥瘡", "血圧", "食事", "排便", "入浴", "転倒", "浮腫", "吸引", "採血", "口腔", "点滴",
    "義歯", "嚥下",
    # single-kanji words
    "咳", "痰", "熱", "便", "尿", "痛",
    # katakana drug names
    "ロキソニン", "カロナール", "マグミット", "アムロジピン", "ワーファリン", "ラシックス",
    "インスリン", "ゲンタシン", "ソリタ",
    # half-width and hiragana spellings
    "ﾛｷｿﾆﾝ", "ｶﾛﾅｰﾙ", "ﾏｸﾞﾐｯﾄ", "ろきそにん", "ガーゼ",
    # full-width / half-width letters and digits
    "ＳｐＯ２", "spo2", "ＡＤＬ", "adl", "ＮＲＳ", "36.8", "１２８／７６",
    # phrases and several words
    "訪問入浴", "担当者会議", "服薬カレンダー", "発熱 咳", "褥瘡 処置", "家族 連絡",
    # names in kana, katakana and kanji (notes that mention them)
    "ふくい", "ミツ", "えちぜん", "ﾄﾒ", "勝山",
]
PATIENT_QUERIES = ["ふくい", "フクイ", "ﾌｸｲ", "わかさ", "ミツ", "えちぜん", "いちろう", "つるが", "勝山", "さばえ"]


def main():
    rng = random.Random(20261125)
    notes = []
    all_patients = PATIENTS + [HIDDEN_PATIENT]
    for i in range(230):
        patient_index = i % len(all_patients)
        name, kana = all_patients[patient_index]
        parts = rng.sample(SENTENCES, rng.randint(2, 4))
        if rng.random() < 0.12:
            template = rng.choice(NAME_MENTIONS)
            parts.insert(0, template.format(name=name.split()[0], kana=kana.split()[0]))
        notes.append({"id": i + 1, "patient": patient_index, "body": "".join(parts)})
    visible = set(range(len(PATIENTS)))
    queries = []
    for q in dict.fromkeys(QUERIES + PATIENT_QUERIES):
        queries.append({
            "q": q,
            "notes": [n["id"] for n in notes if n["patient"] in visible and relevant(n["body"], q)],
            "patients": [
                i for i in sorted(visible)
                if relevant(all_patients[i][0] + " " + all_patients[i][1], q)
            ],
        })
    data = {
        "patients": [{"name": n, "kana": k, "on_team": i in visible} for i, (n, k) in enumerate(all_patients)],
        "notes": notes,
        "queries": queries,
    }
    out = Path(__file__).with_name("quality_set.json")
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(len(notes), "notes,", len(queries), "queries ->", out)


if __name__ == "__main__":
    main()
