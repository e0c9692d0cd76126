"""OpenSanctions' matcher on the same pairs: nomenklatura's logic-v2, called as yente calls it.

Runs in its own virtualenv (nomenklatura pins its own stack). yente scores each candidate with
`algorithm.compare(query=entity, result=candidate, config=ScoringConfig(weights={}, config={}))` and calls a
result a match when its score reaches the threshold (SCORE_THRESHOLD, 0.70 by default); logic-v2 fills in its
own defaults for the empty config. Input: JSON lines {qid, query, candidates: [entity…]}; output: JSON lines
{qid, scores: {candidate id: score}}.
"""

from __future__ import annotations

import json
import sys
import time

from followthemoney import model
from nomenklatura.matching import LogicV2
from nomenklatura.matching.types import ScoringConfig


def make_entity(data: dict) -> object:
    entity = model.make_entity(data["schema"])
    entity.id = data["id"]  # unique per query and per listed entry: nomenklatura caches by entity id
    for prop, values in data["properties"].items():
        for value in values:
            entity.add(prop, value)
    return entity


def main() -> None:
    started = time.perf_counter()
    pairs = 0
    with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
        for line in src:
            item = json.loads(line)
            query = make_entity(item["query"])
            scores = {}
            for candidate in item["candidates"]:
                result = LogicV2.compare(query, make_entity(candidate), ScoringConfig(weights={}, config={}))
                scores[candidate["id"]] = result.score
                pairs += 1
            out.write(json.dumps({"qid": item["qid"], "scores": scores}) + "\n")
    elapsed = time.perf_counter() - started
    print(json.dumps({"pairs": pairs, "seconds": elapsed}))


if __name__ == "__main__":
    main()
