"""How the rules' reading and the learned model's are weighed into one intent.

The rules are precise on shop chat and on what the bot just asked; the model has seen
far more ways of saying things, and far more of what is not a shop's business (see
``bot/nlu/corpus.py``). Neither alone is good enough (bench/nlu.py: the model alone
reads 4 in 10 shop messages wrong; the rules alone read 9% of home-assistant chit-chat
as an order change). The costs are not symmetric: reading "cancel my alarm" as
``cancel_order`` is far worse than asking again, so a state-changing intent needs
more evidence than any other.

Thresholds were chosen on the tune splits only: each tune split cut in two halves, a
model trained on one half scoring the other, and models trained on one public source
scoring the other's tune split.
"""

from __future__ import annotations

STATE_CHANGING = frozenset(
    {
        "place_order",
        "modify_order",
        "change_address",
        "change_fulfillment",
        "cancel_order",
        "return_order",
    }
)
# What the rules read in an answer to the bot's own question stands: the model never
# sees the question.
CONTEXT_ANSWER = 0.9
# Where the rules found nothing: the model's reading is taken at this probability, and a
# state-changing one only at a much higher one and when the message names something of
# the shop (an order, a product, an address ...).
TAKE = 0.5
TAKE_STATE_CHANGING = 0.8
# A rule reading below this confidence gives way to a model reading at OVERRIDE.
WEAK_RULE = 0.7
OVERRIDE = 0.5
# The model's out_of_scope overrules a state-changing rule reading at these
# probabilities: VETO when the rule reading is weak (below 0.65), VETO_STRONG otherwise.
VETO = 0.4
VETO_STRONG = 0.6
RULE_CONFIDENT = 0.65
# A state-changing rule reading of a message that names nothing of the shop: a weak one
# (below RULE_CONFIDENT: "i want to mute the speaker") or one with a word foreign to a
# shop ("cancel my 3pm alarm") is no reading at all, and neither is a weak one with such a
# word where only "it" or "the store" ties it to the shop ("i want the music saved, can
# you do it"); a strong one
# is at most UNGROUNDED sure, so the bot asks, and needs at least SUPPORT of the model's
# belief: "cancel my dentist appointment" is not an order cancellation.
UNGROUNDED = 0.6
SUPPORT = 0.1
# out_of_scope that no rule read (a rule reads account or invoice questions, say) comes
# with this confidence, below the bot's threshold, however sure the model is: the step
# the customer is in may still read the message as its answer (the engine lets a step
# try every message it is not confident about).
NO_READING = 0.3


def combine(
    rule_intent: str,
    rule_confidence: float,
    has_rule_reading: bool,
    probabilities: dict[str, float],
    expecting: str | None,
    grounded: bool,
    names_a_product: bool = False,
    foreign: bool = False,
) -> tuple[str, float]:
    """The intent and its confidence.

    ``has_rule_reading`` is False when no rule or cue matched at all; ``grounded`` is
    whether the message names something of the shop (see ``intents.grounded``);
    ``names_a_product`` whether it names a product for sure, which the model's "out of
    scope" cannot overrule (see ``intents.names_a_product``); ``foreign`` whether it has
    a word outside the language customers use with a shop (see ``intents.foreign_words``)
    and nothing of the shop but a pointing word (see ``intents.firmly_grounded``):
    "remove it on my calendar" is not about an order.
    """
    top = max(probabilities, key=probabilities.__getitem__)
    p_top = probabilities[top]
    if expecting and rule_confidence >= CONTEXT_ANSWER:
        return rule_intent, rule_confidence
    if rule_intent in STATE_CHANGING:
        if not grounded and (rule_confidence < RULE_CONFIDENT or foreign):
            return "out_of_scope", NO_READING
        if not grounded:
            rule_confidence = min(rule_confidence, UNGROUNDED)
    if top == rule_intent == "out_of_scope":
        return rule_intent, rule_confidence
    if top == rule_intent:
        return rule_intent, max(rule_confidence, p_top)
    if rule_intent in STATE_CHANGING:
        if foreign and rule_confidence < RULE_CONFIDENT:
            return "out_of_scope", NO_READING
        veto = VETO_STRONG if rule_confidence >= RULE_CONFIDENT else VETO
        if top == "out_of_scope" and p_top >= veto and not names_a_product:
            return "out_of_scope", NO_READING
        if not grounded and probabilities.get(rule_intent, 0.0) < SUPPORT:
            has_rule_reading = False
    if not has_rule_reading:
        # The model alone reads a question about a thing as one about the shop's products
        # ("what is the deepest point on earth"): not when the thing is foreign to a shop.
        if top in STATE_CHANGING:
            taken = grounded and not foreign and p_top >= TAKE_STATE_CHANGING
        else:
            taken = (
                top != "out_of_scope"
                and p_top >= TAKE
                and not (top == "browse_catalog" and foreign)
            )
        return (top, p_top) if taken else ("out_of_scope", NO_READING)
    if rule_confidence < WEAK_RULE and p_top >= OVERRIDE:
        if top == "out_of_scope":
            return top, NO_READING
        if top not in STATE_CHANGING:
            return top, p_top
        if grounded and not foreign and p_top >= TAKE_STATE_CHANGING:
            return top, p_top
    return rule_intent, rule_confidence
