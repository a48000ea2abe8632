"""What is wrong with an order, in the customer's words: damaged goods or a late parcel.

Read by the command generator (a complaint the classifier is unsure of is still a
complaint when it says what is wrong with something of theirs) and by `bot.care`,
which gives each its remedy.
"""

from __future__ import annotations

import re

DAMAGED = re.compile(
    r"\b(?:broken|broke|damaged|cracked|smashed|chipped|defective|faulty|leaking|leaks|torn|"
    r"dented|ripped|shattered|bent|crushed|ruined|stale|spoiled|wrong (?:item|size|colou?r|one|"
    r"product)|not working|does not work|stopped working|doesnt work|(?:just|suddenly) stopped|"
    r"a chip|chipped|scratched|squashed|(?:will not|won t|wont) (?:work|charge|turn on|start))\b"
)
LATE = re.compile(
    r"\b(?:late|never (?:arrived|came|got)|not (?:yet )?(?:arrived|here|come|received|turned up|"
    r"shown up)|has ?n ?t (?:arrived|come|turned up|shown up)|hasnt (?:arrived|come)|"
    r"has not (?:arrived|come)|still (?:waiting|not)|where is|lost|delayed|overdue|"
    r"taking (?:so|too) long|been (?:over |more than )?(?:a|one|two|three|\d+) (?:week|weeks))\b"
)
# Something of the customer's the trouble is about: "my kettle", "the parcel", "order 10001".
ABOUT_AN_ORDER = re.compile(
    r"\b(?:my|our|the) (?:\w+ )?(?:order|parcel|package|delivery|stuff|things|items)\b|"
    r"\bmy \w+",
)
