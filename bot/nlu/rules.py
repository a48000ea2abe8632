"""Keyphrase rules for intents.

Each rule is (intent, weight, pattern, beats). Patterns run on the normalised, typo-corrected
words of the message joined by single spaces. ``weight`` is how sure the rule is on its own;
``beats`` lists intents this rule overrides when both match (e.g. "cancel my pro account"
is an account question, not an order cancellation).

Decisions worth knowing:
- "checkout", "done", "finished", "nothing else" are *affirm*: they answer "anything else?"
  in the cart with "go ahead with what I have", like "yes". ("that's all" stays goodbye;
  the cart step treats it as checkout too.)
- A customer asking about *their* order ("when will my order arrive", "is my order
  ready", "where is order 10003") is tracking; general delivery questions ("how long does
  shipping take", "do you deliver") are store information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    intent: str
    weight: float
    pattern: re.Pattern[str]
    beats: tuple[str, ...] = ()


def _r(intent: str, weight: float, pattern: str, beats: tuple[str, ...] = ()) -> Rule:
    return Rule(intent, weight, re.compile(pattern), beats)


ORDER = r"(?:order|orders|purchase|purchases|package|parcel|delivery|stuff|shipment|item|items)"
ORDER_ISH = r"(?:order|purchase|package|parcel|shipment|it|stuff|delivery|item|items|product)"
REFUND = (
    r"(?:refund|refunds|refunded|reimbursement|reimbursements|reimbursed|rebate|rebates|rebating|"
    r"compensation|compensations|restitution|restitutions|money back|my money)"
)
ACCOUNT = r"(?:account|accounts|acount|profile|user|premium|freemium|pro|gold|platinum|standard)"
SORRY_STATE = (
    r"(?:broken|broke|damaged|cracked|smashed|stale|torn|leaking|leaks|defective|faulty|dented|"
    r"spoiled|mouldy|moldy|scratched|chipped|wrong|missing|late|never arrived|never came)"
)

RULES: tuple[Rule, ...] = (
    # --- small talk -------------------------------------------------------------------
    _r(
        "greet",
        0.95,
        r"^(?:hi+|hello+|hey+|hiya|yo|howdy|greetings|sup|hallo|morning|evening|good (?:morning|"
        r"afternoon|evening|day))(?: there| all| team| guys)?$",
    ),
    _r("greet", 0.5, r"^(?:hi+|hello+|hey+|hiya|good (?:morning|afternoon|evening))\b"),
    _r(
        "goodbye",
        0.93,
        r"\b(?:bye+|goodbye|bye bye|see you|see ya|cya|good night|goodnight|take care|talk later|"
        r"later)\b",
    ),
    _r("goodbye", 0.85, r"^(?:ok |alright )?(?:that is|that will be|thats|that's) (?:all|it)\b"),
    _r(
        "thanks",
        0.93,
        r"^(?:ok |great |perfect |awesome )?(?:thanks|thank you|thank u|cheers|much appreciated|"
        r"appreciate it|many thanks)\b",
    ),
    _r("thanks", 0.6, r"\b(?:thanks|thank you|cheers|appreciate)\b"),
    _r(
        "affirm",
        0.85,
        r"^(?:yes|yeah|yep|yup|yes please|sure|ok|okay|correct|right|confirm|confirmed|go ahead|"
        r"sounds good|do it|absolutely|definitely|please do|y|perfect|great|fine|alright|"
        r"that is right|that is correct|exactly|of course|affirmative|works for me|that works|"
        r"good)(?: please| thanks| thank you| go ahead| do it| that is (?:fine|right|correct)|"
        r" sounds good)*$",
    ),
    _r("affirm", 0.6, r"^(?:yes|yeah|yep|yup|sure|ok|correct|y)\b"),
    _r(
        "affirm",
        0.85,
        r"^(?:(?:ok|yes|yeah|right|so|and|i think) )*(?:i am |we are |i m )?(?:done|all done|"
        r"finished|nothing else|nothing more|check ?out|go to (?:the )?checkout|proceed(?: to "
        r"(?:the )?checkout)?|ready to (?:check ?out|pay))(?: now| please| thanks| thank you)*$",
    ),
    _r(
        "deny",
        0.88,
        r"^(?:no|nope|nah|n|not really|negative|no thanks|no thank you|no way|wrong|incorrect|"
        r"not that|do not|dont)(?: thanks| thank you| please| do not| it is not| not that)*$",
    ),
    _r("deny", 0.6, r"^(?:no|nope|nah)\b"),
    _r("deny", 0.8, r"^(?:never mind|nevermind|nvm|forget it|forget about it|scratch that)$"),
    _r(
        "deny",
        0.9,
        r"\b(?:do not|does not|did not|never|no need to|not) (?:want to |wish to |need to |"
        r"mean to |plan to |going to )?(?:cancel|return|refund)\b",
        ("cancel_order", "return_order"),
    ),
    _r(
        "help",
        0.92,
        r"^(?:help|help me|help please|please help|i need help|need help|menu|options|start|\?+)$",
    ),
    _r(
        "help",
        0.9,
        r"\b(?:what can you do|what do you do|how does (?:this|it) work|what are my options|"
        r"how do i use (?:this|you)|what can i (?:ask|do here)|who are you|are you a bot)\b",
    ),
    # --- catalogue ----------------------------------------------------------------------
    _r(
        "browse_catalog",
        0.88,
        r"\b(?:what|which)(?: \w+)? do you (?:sell|have|offer|carry|stock)\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        r"\b(?:what|which) (?:\w+ )?(?:have you got|do you have|you got|are available|"
        r"are in stock)\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        r"\b(?:do|does) (?:you|u|the store) (?:have|sell|carry|stock|do|got)\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        r"\b(?:in stock|out of stock|available|availability|catalog|catalogue|menu|price list|"
        r"prices|pricing|your products|your range)\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        r"\b(?:how much (?:is|are|does|do|for)|what is the price|price of|cost of|"
        r"how much it costs?)\b",
    ),
    _r(
        "browse_catalog",
        0.75,
        r"\b(?:show me|list|recommend|suggest|got any|any)\b.*\b(?:coffee|coffees|beans|teas?|"
        r"mugs|grinders|equipment|products|gifts)\b",
    ),
    # --- ordering -----------------------------------------------------------------------
    _r("place_order", 0.9, r"\b(?:place|make|put in|start) (?:an |a |a new |new |my )?order\b"),
    _r(
        "place_order",
        0.88,
        r"\b(?:buy|buying|purchase|purchasing|acquire|acquiring|shop|shopping|order|ordering|"
        r"oder)(?: \w+){0,4} (?:articles?|items?|products?|something|stuff)\b",
    ),
    _r(
        "place_order",
        0.85,
        r"\b(?:doing|making|make|do|place|placing|submit|submitting) (?:a |an |the |"
        r"my )?(?:new )?(?:purchase|order)\b",
    ),
    _r(
        "place_order",
        0.8,
        r"\b(?:i want to|i would like to|i d like to|id like to|i wish to|can i|could i|may i|"
        r"let me|i need to|i will|ill|love to|looking to|trying to|try to|how (?:do|can|could) i|"
        r"help me(?: to)?) (?:buy|order|purchase|get|grab|have|take|shop)\b",
    ),
    _r(
        "place_order",
        0.5,
        r"\b(?:i will take|i ll take|ill take|i would like|i d like|id like|give me|send me|"
        r"i want|i need)\b",
    ),
    _r(
        "modify_order",
        0.9,
        r"\b(?:make (?:it|that|them)|change (?:it|that) to|(?:change|update|increase|decrease|"
        r"reduce|bump) (?:the )?(?:quantity|qty|amount|number)|only want|up it to)\b",
    ),
    _r(
        "modify_order",
        0.9,
        r"\b(?:add|adding|remove|removing|delete|deleting|drop|take off|take out|swap|swapping|"
        r"replace|replacing|exchange|missed)\b.*\b(?:to|from|in|on|of) (?:my |the |this |"
        r"that )?(?:order|purchase|basket|cart)\b",
    ),
    _r(
        "modify_order",
        0.88,
        r"\b(?:change|changing|modify|modifying|modification|edit|editing|update|updating|correct|"
        r"correcting|fix|fixing|switch|switching|adjust|adjusting|alter)(?: \w+){0,3} (?:order|"
        r"purchase)\b(?! \w* ?status)",
    ),
    _r("modify_order", 0.85, r"\b(?:swap|replace|exchange) (?:the |my |a )?\w+.* (?:for|with) "),
    _r(
        "modify_order",
        0.8,
        r"\b(?:add|remove|delete|drop) (?:a |an |the |one |another |more |\w+ )?(?:\w+ )?(?:to|"
        r"from) (?:it|that)\b|\badd (?:another|one more|more)\b",
    ),
    _r(
        "change_address",
        0.9,
        r"\b(?:change|changing|update|updating|correct|correcting|edit|editing|modify|modifying|"
        r"fix|wrong|new|different|another)(?: \w+){0,3} (?:address|addy)\b",
    ),
    _r(
        "change_address",
        0.88,
        r"\baddress (?:change|correction|modification|update|is wrong|was wrong)\b",
    ),
    _r(
        "change_address",
        0.75,
        r"\b(?:send|ship|deliver) (?:it|them|my order|the order|the package) to\b",
    ),
    _r(
        "change_fulfillment",
        0.9,
        r"\b(?:pick (?:it |them |this |that )?up|pickup|collect (?:it|them)|collection|"
        r"click and collect)\b.*\binstead\b|\binstead of (?:delivery|delivering|shipping|pick ?up|"
        r"collecting)\b",
    ),
    _r(
        "change_fulfillment",
        0.9,
        r"\b(?:switch|change|move|swap)(?: \w+){0,3} (?:to )?(?:pick ?up|delivery|collection|"
        r"collect|shipping)\b",
    ),
    _r(
        "change_fulfillment",
        0.88,
        r"\b(?:rather|prefer(?: to)?|instead) (?:collect|pick|have it delivered|get it delivered|"
        r"delivery|pickup)\b|\b(?:deliver|ship) (?:it|them) instead\b",
    ),
    _r(
        "change_fulfillment",
        0.85,
        r"\b(?:can|could) (?:i|we) (?:pick|collect) (?:it|them|my order|the order) (?:up )?(?:at|"
        r"from|in)\b|\bcollect (?:it )?(?:myself|in store|in person)\b",
    ),
    # --- after-sales --------------------------------------------------------------------
    _r(
        "cancel_order",
        0.9,
        r"\b(?:cancel|cancelling|canceling|cancellation|cancelation|call off|scrap)\b",
    ),
    _r(
        "cancel_order",
        0.85,
        r"\b(?:do not|dont) (?:need|want) (?:it|this|that|the order|my order|them) (?:anymore|"
        r"any more|now)\b|\b(?:do not|dont|no longer) want (?:the |my |this )?(?:order|purchase)\b",
    ),
    _r(
        "track_order",
        0.92,
        rf"\bwhere (?:is|are|s) (?:(?:my|the|our|this|that) )?(?:\w+ )?{ORDER_ISH}\b",
    ),
    _r(
        "track_order",
        0.9,
        rf"\b(?:is|are|has|have) (?:my|our|the) (?:\w+ )?{ORDER_ISH} (?:(?:been|got|already|"
        rf"still) )?(?:ready|here|there|coming|arriving|arrived|delivered|shipped|dispatched|"
        rf"posted|out|on (?:the|its) way)\b|\b(?:did|have|has) (?:you|u|they) (?:already )?"
        rf"(?:ship|shipped|send|sent|dispatch|dispatched|post|posted) (?:out )?(?:my|our|the) "
        rf"(?:\w+ )?{ORDER_ISH}\b",
    ),
    _r(
        "track_order",
        0.92,
        rf"\bwhen (?:will|is|does|do|should|can|would) (?:my|our) (?:\w+ )?{ORDER_ISH} (?:\w+ )?"
        rf"(?:arrive|arriving|come|coming|get here|be here|be delivered|be ready|ship|be shipped|"
        rf"be sent|be dispatched|turn up|show up)\b|\bwhen (?:will|do|can|should|would) (?:i|we) "
        rf"(?:get|receive|see|have) (?:my|our) (?!{REFUND})\w+",
        ("store_info",),
    ),
    _r(
        "track_order",
        0.92,
        r"\b(?:track|tracking|trace|locate|locating|estimated time of arrival)\b",
    ),
    _r(
        "track_order",
        0.9,
        rf"\b(?:status of (?:my |the )?{ORDER}|{ORDER} (?:\w+ ){{0,2}}(?:status|update)|"
        rf"order (?:\w+ )?eta|eta of|check (?:my |the )?{ORDER}|check on (?:my |the )?{ORDER})\b",
    ),
    _r(
        "track_order",
        0.88,
        rf"\b(?:has|have|did|is) (?:my |the |our )?(?:{ORDER_ISH} )?(?:it )?(?:been )?(?:shipped|"
        rf"dispatched|sent|sent out|left|gone out|on (?:the|its) way|out for delivery)\b",
    ),
    _r(
        "track_order",
        0.85,
        r"\b(?:any update|any news|updates?) on\b|\bwhere(?: is| are)? (?:it|they|my stuff)\b",
    ),
    _r(
        "order_history",
        0.92,
        r"\b(?:order history|purchase history|past orders|previous orders|old orders|"
        r"recent orders|last orders|my orders|all orders|orders i (?:have )?(?:made|placed))\b",
    ),
    _r(
        "order_history",
        0.9,
        r"\bwhat (?:did|have) i (?:order|ordered|buy|bought|purchase|purchased)\b|\b(?:my|"
        r"the) last (?:order|purchase)\b",
    ),
    _r(
        "return_order",
        0.88,
        r"\b(?:return|returning|send (?:it |this |them |\w+ )?back|sending (?:it |\w+ )?back|"
        r"take (?:it|this) back)\b",
        ("modify_order",),
    ),
    _r(
        "return_order",
        0.88,
        rf"\b(?:want|get|getting|request|requesting|ask for|asking for|need|demand|claim|claiming|"
        rf"receive|obtain|obtaining|apply for|give me|issue) (?:a |an |my |the |some |of |"
        rf"for )*(?:\w+ )?{REFUND}\b",
    ),
    _r(
        "return_order",
        0.85,
        rf"^(?:\w+ )?{REFUND}(?: of| for| on)?\b|\b(?:i want|want) (?:my )?money back\b",
    ),
    _r(
        "refund_status",
        0.92,
        rf"\b(?:waiting for|waiting on|expect|expecting|still waiting|not received|"
        rf"have not (?:got|gotten|received|seen)|never (?:got|received)|did not (?:get|receive)|"
        rf"where is|status of|news on|update on|any news|when will i (?:get|receive|see)|"
        rf"is my)(?: \w+){{0,3}} {REFUND}\b",
        ("return_order",),
    ),
    _r(
        "refund_status",
        0.93,
        rf"\b(?:track|tracking|trace|check|checking|status of|anything new on|something new on|"
        rf"news about)(?: \w+){{0,2}} {REFUND}\b",
        ("return_order", "track_order"),
    ),
    _r(
        "refund_status",
        0.9,
        rf"\b{REFUND} (?:\w+ )?(?:status|update|progress)\b|\b(?:status|"
        rf"progress) of (?:my )?(?:return|{REFUND})\b",
        ("return_order", "track_order"),
    ),
    # --- store information --------------------------------------------------------------
    _r(
        "store_info",
        0.92,
        r"\b(?:opening|closing|business|store|shop) (?:hours|times|time)\b|\bhours\b|"
        r"\bwhen (?:are|do|does|is) (?:you|the (?:store|shop)|\w+ (?:store|shop)|it) (?:open|"
        r"opening|close|closing)\b|\b(?:open|opened) (?:on |at |till |until |today|tomorrow|"
        r"sunday|saturday|monday|tuesday|wednesday|thursday|friday|weekends?)|"
        r"\b(?:what|which) time (?:do|does|are|is|will) (?:you|the (?:store|shop)|\w+ (?:store|"
        r"shop)|it) (?:open|close|shut)|\bare (?:you|the (?:store|shop)|\w+ (?:store|shop)) "
        r"(?:still )?(?:open|closed)\b|\b(?:opening|closing) times?\b",
    ),
    _r(
        "store_info",
        0.88,
        r"\b(?:cancellation|cancelation|cancel|withdrawal|early exit|exit|termination|"
        r"early termination) (?:fee|fees|charge|charges|penalty|penalties|cost)\b",
        ("cancel_order",),
    ),
    _r(
        "store_info",
        0.9,
        r"\b(?:refund|return|returns|reimbursement|money back|exchange) (?:policy|policies)\b|"
        r"\b(?:in )?(?:what|which) (?:cases|situations|circumstances) (?:can|could|do|may)\b|"
        r"\bhow long (?:do|does|will) (?:\w+ )?(?:refunds?|reimbursements?|"
        r"returns?) (?:\w+ )?take\b|\b(?:money back guarantee|guarantee|reimbursable|refundable|"
        r"returnable)\b",
        ("return_order", "refund_status"),
    ),
    _r(
        "store_info",
        0.9,
        r"\b(?:payment (?:methods?|options?|modalities|modality|types?)|ways to pay|pay (?:with|"
        r"by|via|using)|how (?:can|do|could|should|may) (?:i|we) pay|can (?:i|we) pay|"
        r"(?:take|accept|accepted|allowed|support) (?:payments?|paypal|cards?|"
        r"credit|cash|apple pay|google pay|visa|mastercard|amex|bitcoin|crypto))\b",
    ),
    _r(
        "store_info",
        0.9,
        r"\b(?:do|can) (?:you|u) (?:ship|deliver|send) (?:to|overseas|internationally|abroad|"
        r"worldwide)\b|\b(?:do|does) (?:you|the (?:store|shop)) (?:ship|deliver|post|"
        r"do (?:delivery|deliveries|shipping)|offer (?:delivery|shipping))\b(?! (?:it|them|my)\b)|"
        r"\b(?:ship|shipping|shipments?|deliver|delivery|deliveries|order|orders|buy) (?:to|"
        r"from) (?:[a-z]+)\b(?!.*\b(?:address|instead)\b)",
    ),
    _r(
        "store_info",
        0.88,
        r"\b(?:shipping|delivery|shipment|postage) (?:options?|methods?|costs?|fees?|times?|"
        r"period|prices?|charges?|rates?)\b|\b(?:how long|how soon|how many days|how fast|"
        r"how quickly|when(?! (?:will|is|does|do|should|can|would) (?:my|our|i|we)\b))"
        r"(?: \w+){0,6} (?:arrive|get here|come|take|be delivered|expect|"
        r"delivered|receive)\b|\bfree (?:shipping|delivery)\b",
        ("track_order",),
    ),
    _r(
        "store_info",
        0.92,
        r"\bhow much (?:is|are|does|do|for|will|would) (?:the |your |it )?(?:postage|shipping|"
        r"delivery|p p|p and p)\b",
        ("browse_catalog",),
    ),
    _r(
        "store_info",
        0.85,
        r"\b(?:where (?:is|are) (?:the |your )?(?:\w+ )?(?:store|stores|shop|shops|location|"
        r"locations|branch)|address of|your address|store address|locations?|directions|parking)\b",
    ),
    # --- escalation ---------------------------------------------------------------------
    _r(
        "human_agent",
        0.92,
        r"\b(?:human|humans|real person|a person|live agent|an agent|agent|operator|"
        r"representative|rep|somebody|someone|real people|staff member|manager|supervisor|"
        r"assistant)\b",
        ("help",),
    ),
    _r(
        "human_agent",
        0.92,
        r"\b(?:customer|client|consumer) ?(?:service|services|support|care|assistance|"
        r"relations)\b|\b(?:contact|call|phone|reach|email) (?:you|your|the (?:store|company|"
        r"team))\b",
        ("help", "store_info"),
    ),
    _r(
        "human_agent",
        0.85,
        r"\b(?:talk|talking|speak|speaking|chat|chatting) (?:to|with)\b",
        ("help",),
    ),
    _r(
        "complaint",
        0.9,
        r"\b(?:complaint|complaints|complain|complaining|claim|claims|reclamation|grievance)\b",
        ("return_order",),
    ),
    _r(
        "complaint",
        0.85,
        rf"\b(?:came|arrived|is|was|are|were|got|received|its|it is|looks|"
        rf"been) (?:\w+ )?{SORRY_STATE}\b|\b{SORRY_STATE} (?:item|product|order|mug|package|"
        rf"box)\b|\bsent (?:me )?(?:the )?wrong\b",
    ),
    _r(
        "complaint",
        0.85,
        r"\b(?:ridiculous|terrible|awful|horrible|unacceptable|disgusting|disappointed|"
        r"disappointing|not happy|unhappy|worst|rude|useless|(?:is|was|what) a joke|scam|furious|"
        r"angry|annoyed|"
        r"fed up|poor service|bad service|pathetic)\b",
    ),
    # --- not ours -----------------------------------------------------------------------
    _r(
        "out_of_scope",
        0.93,
        rf"\b{ACCOUNT}\b",
        ("cancel_order", "change_address", "modify_order", "human_agent", "place_order"),
    ),
    _r(
        "out_of_scope",
        0.93,
        r"\b(?:password|passwords|pass|pin|pin code|passcode|access key|key|log ?in|login|"
        r"sign ?in|signin|username|credentials)\b",
        ("human_agent",),
    ),
    _r(
        "out_of_scope",
        0.93,
        r"\b(?:invoice|invoices|bill|bills|receipt|receipts)\b",
        ("track_order", "place_order", "human_agent", "complaint"),
    ),
    _r(
        "out_of_scope",
        0.93,
        r"\b(?:newsletter|newsletters|subscription|subscribe|subscribing|unsubscribe|mailing list|"
        r"marketing emails)\b",
        ("cancel_order", "human_agent"),
    ),
    _r(
        "out_of_scope",
        0.9,
        r"\b(?:review|reviews|feedback|comment|comments|rate|rating|opinion)\b",
        ("complaint", "human_agent", "place_order"),
    ),
    _r(
        "out_of_scope",
        0.92,
        r"\b(?:sign ?up|signup|sign-up|register|registration|registrations|registering|enrol)\b",
        ("complaint", "human_agent"),
    ),
    _r(
        "out_of_scope",
        0.9,
        r"\b(?:payment|payments|pay|paying|charge|charged)\b.*\b(?:problem|problems|issue|issues|"
        r"error|errors|trouble|fail|failed|failing|declined|not working|went wrong)\b|"
        r"\b(?:problem|problems|issue|issues|error|errors|trouble|troubles)\b.*\b(?:payment|"
        r"payments|paying)\b|\bcan not (?:make|complete) (?:a |the )?payments?\b",
        ("complaint", "human_agent", "store_info"),
    ),
    _r(
        "out_of_scope",
        0.9,
        r"\b(?:set|setting|sets) (?:\w+ ){0,4}(?:address )?up\b|\b(?:enter|entering|add|adding|"
        r"save|saving|set|setting|register|registering|create|creating|submit|"
        r"submitting)(?: \w+){0,3} (?:shipping|delivery|postal|new) address\b",
        ("change_address", "human_agent"),
    ),
    _r(
        "out_of_scope",
        0.85,
        r"\b(?:weather|taxes|tax return|homework|recipe|news|football|movie|song|poem|"
        r"bitcoin price|stock market|meaning of life)\b",
    ),
    _r(
        "out_of_scope",
        0.9,
        r"\b(?:tell|know|say|hear|sing|write) (?:me |us )?(?:a |any |some |another )?(?:\w+ )?"
        r"(?:joke|jokes|story|stories|riddle|poem|song)\b",
        ("complaint",),
    ),
)

# Typo correction targets: every keyword the rules spell out.
KEYWORDS: frozenset[str] = frozenset(
    w
    for rule in RULES
    for w in re.findall(r"(?<![a-z\\])[a-z]{4,}(?![a-z(\[?*+{])", rule.pattern.pattern)
)
