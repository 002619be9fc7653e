"""Detokeniser cases, most taken verbatim from aclsum sentences."""

from __future__ import annotations

import pytest

from experiments.corpus import detokenise

CASES = [
    # (tokenised, expected)
    (
        "In this paper , we explore correlation of dependency relation paths .",
        "In this paper, we explore correlation of dependency relation paths.",
    ),
    ("open domain Question Answering ( QA ) .", "open domain Question Answering (QA)."),
    ("( Tan et al . , 2017 ) ; see also [ 1 , 3 ] .", "(Tan et al., 2017); see also [1, 3]."),
    ("he is n't even prepared", "he isn't even prepared"),
    ("and ca n't certify optimality", "and can't certify optimality"),
    ("likely wo n't see in 2019", "likely won't see in 2019"),
    ("Inspired by Chomsky 's ( 1957 ) work", "Inspired by Chomsky's (1957) work"),
    ("You 've done a good review .", "You've done a good review."),
    (
        'For example , " be capable of " and " be able to " mean it .',
        'For example, "be capable of" and "be able to" mean it.',
    ),
    (
        'From broccoli coffee to " bowl food , " here are 10 trends .',
        'From broccoli coffee to "bowl food," here are 10 trends.',
    ),
    ('inserts an additional " Constituent Attention " module', 'inserts an additional "Constituent Attention" module'),
    ("of users ' input behaviors .", "of users' input behaviors."),
    ("improvement : ' state of the art ' performance", "improvement: 'state of the art' performance"),
    ("man fills 16 % of agent roles", "man fills 16% of agent roles"),
    ("nearly $ 1 billion", "nearly $1 billion"),
    ("reduces labor by 16 - 63 % overall", "reduces labor by 16-63% overall"),
    ("the natural / artefactual division", "the natural/artefactual division"),
    ("Network ( TPGN ): it embodies", "Network (TPGN): it embodies"),
    ("radioactive waste ...", "radioactive waste..."),
    ("evaluation , ... )", "evaluation, ...)"),
    ("D = { d 1 , d 2 }", "D = {d 1, d 2}"),
    ("Problem Definition : Given a set", "Problem Definition: Given a set"),
    ("Already clean text, (unchanged).", "Already clean text, (unchanged)."),
    ("", ""),
]


@pytest.mark.parametrize(("tokenised", "expected"), CASES)
def test_detokenise(tokenised, expected):
    assert detokenise(tokenised) == expected


def test_quotation_may_span_sentences():
    sentences = ['He said " this is long .', 'And it goes on " , she noted .']
    assert detokenise(sentences) == 'He said "this is long. And it goes on", she noted.'
