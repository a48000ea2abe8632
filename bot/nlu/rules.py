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
- Money awaited after a return ("sent it back, still no money", "has the refund gone
  through", "refund for R2002") is refund_status; asking for one is return_order; how long
  refunds take in general is store_info.
- Complaints need no "complaint" word: double charges, being ignored, "third time I ask",
  waiting weeks, "not ok" all escalate as complaints.
- Every word spelt out here becomes a typo-correction target (see ``KEYWORDS``), so a new
  keyword can swallow a real word ("informed" -> "ignored"); protect such words in
  intents._PROTECTED and check the Bitext tune split after adding vocabulary.
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
    r"(?:refund|refunds|refunded|reimbursement|reimbursements|reimbursed|reimburse|rebate|rebates|"
    r"rebating|compensation|compensations|restitution|restitutions|money back|my money|"
    r"the money|credit note)"
)
# Words that say a return already happened: the money is what is still awaited.
SENT_BACK = (
    r"(?:sent (?:\w+ ){0,3}back|posted (?:\w+ ){0,3}back|returned|my return|the return|"
    r"return label|dropped (?:\w+ ){0,3}off)"
)
# What things are sold by: "a tin of", "2 pairs of" (see also intents._POINTING_WORDS).
PACK = (
    r"(?:pairs?|box|boxes|bags?|tins?|packs?|packets?|rolls?|sacks?|bottles?|jars?|dozen|cans|"
    r"tubs?|lengths?)"
)
# A price asked: "how much is ...", "price of ...".
PRICE_ASKED = (
    r"\b(?:how much (?:is|are|does|do|for)|what is the price|price of|cost of|how much it costs?)\b"
)
PRICE_QUESTION = re.compile(PRICE_ASKED)
# When a store opens or closes ("what time does the harbour store close on sunday?", "is
# bridge road open late tonight?", "bridge road hours?").
HOURS_QUESTION = re.compile(
    r"\b(?:what time|when|till when|until when|how late|how early)\b.*\b(?:open|opens|close|"
    r"closes|closing|opening|shut|shuts)\b|\b(?:opening|closing) (?:hours|times?)\b|\bhours\b|"
    r"^(?:\w+ )?(?:is|are) (?:\w+ ){1,3}(?:open|closed|shut)(?: (?:late|early|now|today|tonight|"
    r"tomorrow|on \w+|at \w+|\w+day|\w+days))*$"
)
# Words for where a delivery goes.
ADDRESS = r"(?:address|addy|postcode|post code|zip|zip code|zipcode)"
NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a dozen|a couple|a few)"
GREETING = (
    r"(?:hi+|hello+|helo|hey+|heya|hiya|hey ya|hei|yo|howdy|greetings|sup|hallo|hullo|hola|"
    r"bonjour|aloha)"
)
ACCOUNT = r"(?:account|accounts|acount|profile|user|premium|freemium|pro|gold|platinum|standard)"
SORRY_STATE = (
    r"(?:broken|broke|damaged|cracked|smashed|stale|torn|leaking|leaks|defective|faulty|dented|"
    r"spoiled|mouldy|moldy|scratched|chipped|wrong|missing|late|never arrived|never came|wet|"
    r"destroyed|ripped|shattered|bent|soaked|soggy|crushed|ruined|melted|in pieces|in bits|"
    r"busted|snapped|falling apart|fell apart|dead on arrival)"
)

RULES: tuple[Rule, ...] = (
    # --- small talk -------------------------------------------------------------------
    _r(
        "greet",
        0.95,
        rf"^(?:{GREETING}|morning|evening|afternoon|good (?:morning|afternoon|evening|day))"
        r"(?: there| all| team| guys| folks| everyone| again| to you)*(?: {GREETING})?$",
    ),
    _r("greet", 0.5, rf"^(?:{GREETING}|good (?:morning|afternoon|evening))\b"),
    _r(
        "greet",
        0.85,
        r"\b(?:is )?(?:anyone|anybody) (?:there|here|around|home|about)\b|^(?:\w+ )?(?:how are|"
        r"how r) (?:you|ya)(?: doing| today)?$|^(?:\w+ )?(?:what is up|wassup|wazzup|how is it "
        r"going|how are things)(?: with you)?$|^(?:\w+ )?(?:hope you are|hope all is) "
        r"(?:well|good)",
    ),
    _r(
        "goodbye",
        0.93,
        r"\b(?:bye+|byee+|goodbye|bye bye|see you|see ya|cya|good night|goodnight|take care|"
        r"(?:talk|speak|chat) (?:to you |with you )?(?:later|soon)|later|laters|until next time|"
        r"night night|nighty night|nite|^night$|ciao|adios|au revoir|cheerio|ta ta|toodles|"
        r"peace out|"
        r"(?:i will|ill|i ll) leave it (?:there|at that)|"
        r"catch you|(?:got|have|need|must) to (?:go|run|dash)|i (?:am|must be) off|signing off|"
        r"(?:i|we) (?:must|have to|need to|should|better|had better|got to|ought to) (?:be going|"
        r"be off|be on my way|get going|head off|head out|leave now|run|dash)|"
        r"time (?:for me )?to go|"
        r"have a (?:good|nice|great|lovely|wonderful) (?:day|one|evening|night|weekend|week))\b",
        ("thanks",),
    ),
    _r(
        "goodbye",
        0.88,
        r"^(?:(?:ok|okay|right|well|anyway|so|alright) )*(?:i am |we are |i will be |am )?"
        r"(?:heading|head|going|off|leaving|signing|logging|popping)(?: (?:out|off|home|away))?"
        r"(?: now| then| for (?:now|today|the day))*$",
    ),
    _r(
        "goodbye",
        0.85,
        r"^(?:ok |alright |great |right )?(?:that is|that will be|that would be) (?:all|it|"
        r"everything)\b|^(?:that is )?all i need(?:ed)?\b",
    ),
    _r(
        "thanks",
        0.93,
        r"^(?:(?:ok|okay|oh|great|perfect|awesome|lovely|brilliant|fab|fantastic|wonderful|amazing|"
        r"cool|nice|excellent|super|that is (?:great|perfect|brilliant|lovely|amazing|awesome)) )*"
        r"(?:thanks|thank you|thank u|thankyou|thanku|cheers|"
        r"much appreciated|appreciate it|many thanks|much obliged|ta)\b",
    ),
    _r("thanks", 0.6, r"\b(?:thanks|thank you|cheers|appreciate)\b"),
    _r(
        "thanks",
        0.88,
        r"\b(?:kind|nice|good|sweet|thoughtful|generous|helpful) of you\b|"
        r"\b(?:much |greatly |really )?appreciated\b|^(?:\w+ )?(?:well done|great job|good job|"
        r"nice one|nice work|great work|"
        r"good work|top job|brilliant work)\b|\byou (?:are|were|have been) (?:a star|a legend|"
        r"the best|a lifesaver|a life saver|a gem|(?:so |very |really )?(?:helpful|kind|brilliant|"
        r"amazing|awesome|wonderful|great))\b|\byou rock\b|\byou (?:helped|have helped) (?:me )?"
        r"(?:a lot|loads|so much|heaps)\b",
    ),
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
    # Yes said some other way: radio talk, "that'd be a yes from me", "you got it right".
    _r(
        "affirm",
        0.88,
        r"^(?:(?:ok|yes|yeah|yep|right|sure) )?(?:roger(?: that| roger| wilco)?|wilco|"
        r"copy(?: that)?|ten four|10 4|affirmative|aye(?: aye)?|yes sir|yessir|yes maam|will do|"
        r"okie dokie|"
        r"okey dokey|sure thing|you bet|deal|agreed|i agree|count me in|go for it|spot on|"
        r"precisely|sounds like a plan|by all means|why not|go on(?: then)?|let us do (?:it|that)|"
        r"(?:yes )?indeed|certainly|mhm+|uh huh|uhuh|quite right|"
        r"(?:fine|ok|good) (?:by|with) me|that works(?: for me)?|you got it(?: right)?|"
        r"that is (?:it|the one|right|correct|perfect)|"
        r"(?:you|we) (?:got|have got|have|understood) (?:it|that|me) (?:right|exactly|perfectly|"
        r"correctly))(?: please| thanks| thank you| then| mate| buddy)*$|"
        r"\b(?:a )?(?:yes|yeah|yep|definite yes|big yes) from (?:me|us)\b|\b(?:that is|that'?d be|"
        r"that would be|that will be|it is|it'?s|it'?d be|it would be) a (?:yes|yeah|yep|go)\b",
    ),
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
    _r(
        "deny",
        0.88,
        r"^(?:(?:hmm|um|uh|er|oh|well|ah|actually) )+(?:no|nope|nah)\b|^(?:i would |i d |i'd )?"
        r"rather not\b|^not (?:that|this|those|these) (?:one|ones)\b|"
        r"^(?:no )?(?:i will|i ll) pass\b|"
        r"^no (?:chance|can do)\b|^(?:no )?(?:not for me|i am good|i am fine)(?: thanks)?$|"
        r"^(?:no )?(?:hold off|hang fire|not (?:just |right )?(?:now|yet)|maybe later|not today)"
        r"(?: for now| please| thanks)*$",
        ("affirm",),
    ),
    # No to what the bot said or did: "that's not what i said", "you got it wrong".
    _r(
        "deny",
        0.88,
        r"^(?:(?:no|nope|nah|uh|uhh|um|hmm|oh|wait|sorry|but) )*(?:that is|that was|it is|it was|"
        r"this is|that s|you are|you were|you have|you|i think (?:that is|you are|it is)?)? ?"
        r"(?:not (?:right|correct|it|quite right|what i (?:said|meant|asked for|wanted))|wrong|"
        r"incorrect|mistaken|(?:got|have got|understood) (?:it|that|me) wrong)$|"
        r"^(?:(?:no|nope|uh|uhh|hmm|oh|wait|sorry) )*i (?:did not|do not|never) (?:say|ask for|"
        r"mean|want) (?:that|this|it)$",
        ("complaint",),
    ),
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
        r"\b(?:what (?:can|do|does|could) (?:you|this|this bot|the bot|it)(?: \w+)? (?:do|"
        r"help(?: me| us)? with)|"
        r"what (?:are you|is this bot|is this) able to|how (?:can|could|do) you help|"
        r"what (?:kind of |sort of |type of )?(?:things|stuff|questions) (?:can|do) (?:you|i)|"
        r"how (?:does|do) (?:this|it|you)(?: \w+)? work|how (?:this|it)(?: \w+)? works|"
        r"what are (?:my|the) options|"
        r"what options (?:do i have|are there)|how (?:do i|to|can i|should i) use (?:this|you|it|"
        r"the bot)|what can i (?:ask|do|say|type|write)|what (?:am i supposed to|should i|do i) "
        r"(?:type|say|write|ask)|what to (?:ask|type|say|write)|"
        r"what do i do here|get started|getting started|(?:how|where) do i (?:start|begin)|"
        r"who are you|are you a bot|what services|what (?:are you|is this|"
        r"is this bot) for|what (?:you|this bot|the bot|it) (?:can|could) do)\b",
        ("browse_catalog",),
    ),
    _r(
        "help",
        0.93,
        r"\bare (?:you|u) (?:a |an )?(?:real |actual )?(?:bot|robot|machine|ai|computer|human|"
        r"person)\b(?! .*\b(?:talk|speak|want|need)\b)",
        ("human_agent",),
    ),
    _r(
        "help",
        0.85,
        r"^(?:\w+ )?(?:can|could) you help(?: me)?(?: please| pls)?$|^(?:\w+ )?(?:what is this|"
        r"what is this bot|commands|how to use)$|\bi am (?:lost|confused|stuck)\b",
    ),
    # --- catalogue ----------------------------------------------------------------------
    _r(
        "browse_catalog",
        0.88,
        r"\b(?:what|which)(?: \w+)? do (?:you|u)(?: \w+)? (?:sell|have|offer|carry|stock)\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        r"\b(?:what|which) (?:\w+ ){0,3}(?:have you got|do you have|you got|are available|"
        r"are in stock)\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        r"\b(?:do|does) (?:you|u|the store) (?:have|sell|carry|stock|do|got)\b|"
        r"^(?:have|got) (?:you|u) got\b|\b(?:have|do) (?:you|u) got (?:any|some)\b",
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
        r"\b(?:info|information|details|more) (?:on|about) (?:your |the |a |an )?(?:\w+ )?"
        r"(?:coffee|coffees|beans|teas?|mugs|grinders|kettles|equipment|products|gifts|range)\b|"
        r"\b(?:looking for|after|searching for|hunting for|need|want) (?:a |an |some )?(?:\w+ )?"
        r"(?:present|gift|gift idea|gift ideas|recommendation|suggestion)s? for\b",
    ),
    _r(
        "browse_catalog",
        0.85,
        PRICE_ASKED,
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
        r"help me(?: to)?) (?:buy|order|purchase|get(?! to\b)|grab|have|take|shop)\b",
    ),
    # A count of something sold by the pack, tin or pair, whatever the catalog calls it:
    # "one tin of white exterior paint please", "add a pair of leather gloves".
    _r(
        "place_order",
        0.8,
        rf"^(?:(?:please|pls|hi|hello|ok|and|also|can i (?:get|have)|could i (?:get|have)|"
        rf"i will take|i ll take|i would like|i d like|id like|i want|i need|give me|get me|"
        rf"send me|add) )*(?:a|an|{NUMBER}) {PACK} of\b",
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
        rf"\bmake (?:it|that|them) (?:{NUMBER}|just|only|a(?! (?:little|bit|lot)\b)|an|another|"
        r"one more)\b|"
        r"\b(?:change (?:it|that) to|(?:change|update|increase|decrease|"
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
        r"correcting|fix|fixing|switch|switching|adjust|adjusting|alter)(?: \w+){0,4} (?:order|"
        r"purchase)\b(?! \w* ?status)",
    ),
    _r("modify_order", 0.85, r"\b(?:swap|replace|exchange) (?:the |my |a )?\w+.* (?:for|with) "),
    # Part of an order off, the rest kept: "take the hose off my order", "drop the scarf but
    # keep the gloves" (not a cancellation of the whole order).
    _r(
        "modify_order",
        0.9,
        r"\b(?:take|knock|leave) (?:\w+ ){1,4}(?:off|out of) (?:my |the |this |that |our )?"
        r"(?:order|purchase|basket|cart)\b|\b(?:drop|remove|cancel|lose|ditch|scrap|take off|"
        r"take out|leave out|forget) (?:\w+ ){1,4}(?:but|and|yet) (?:still )?keep\b|\bkeep "
        r"(?:\w+ ){1,4}but (?:drop|remove|cancel|lose|ditch|scrap|take off|take out|leave out|"
        r"forget)\b",
        ("cancel_order",),
    ),
    _r(
        "modify_order",
        0.86,
        r"\b(?:chuck|throw|pop|stick|slip|add) (?:in|on)\b|\b(?:bump|put|take|bring|knock|turn)"
        r"(?: \w+){0,3} (?:up|down) to\b|\b(?:increase|decrease|reduce|raise|lower|bump|up|change|"
        r"update)(?: \w+){1,3} to (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|just "
        r"\w+)\b",
    ),
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
        r"fix|wrong|new|different|another)(?: \w+){0,3} (?<!email )(?<!mail )(?<!e mail )"
        rf"(?<!ip )(?<!web ){ADDRESS}\b",
    ),
    _r(
        "change_address",
        0.88,
        rf"\b{ADDRESS} (?:change|correction|modification|update|is wrong|was wrong)\b|\b{ADDRESS}\b"
        rf"(?: \w+){{0,4}} (?:is|was) (?:wrong|incorrect|out of date|outdated|old|not right)\b",
        ("complaint",),
    ),
    _r(
        "change_address",
        0.75,
        r"\b(?:send|ship|deliver) (?:it|them|my order|the order|the package) to\b|"
        r"\b(?:send|ship|deliver|post) (?:\w+ ){0,3}to (?:my|our) (?:\w+ )?(?:work|office|home|"
        r"house|flat|apartment|place|address|parents|neighbour|neighbor)\b",
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
        r"delivery|pickup)\b|\b(?:deliver|ship) (?:it|them) instead\b|\b(?:rather than|instead of) "
        r"(?:me |us )?(?:pick(?:ing)? (?:it |them )?up|collect(?:ing)?|deliver(?:ing|y)?|"
        r"ship(?:ping)?)\b",
    ),
    _r(
        "change_fulfillment",
        0.85,
        r"\b(?:can|could) (?:i|we) (?:pick|collect) (?:it|them|my order|the order) (?:up )?(?:at|"
        r"from|in)\b|\bcollect (?:it )?(?:myself|in store|in person)\b|"
        # The customer's own way of getting it, said plainly: "i'll pick it up".
        r"^(?:(?:ok|okay|actually|then|no|fine) )*(?:i will|i ll|ill|we will|we ll|i can|let me) "
        r"(?:come (?:and |to )?)?(?:pick (?:it |them )?up|collect|come (?:and )?get (?:it|them))"
        r"(?: it| them)?(?: myself| instead| please| thanks)*$",
    ),
    # --- after-sales --------------------------------------------------------------------
    _r(
        "cancel_order",
        0.9,
        r"\b(?:cancel|cancelling|canceling|cancellation|cancelation|call off|scrap)\b",
    ),
    _r(
        "cancel_order",
        0.88,
        r"\b(?:kill|ditch|bin|axe|nix|void|abandon|stop|halt|scrap|forget about) (?:the |my |this |"
        r"that |our )?(?:whole |entire )?(?:order|purchase|thing|lot)\b|\bcall (?:\w+ ){0,3}off\b",
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
        rf"posted|out|on (?:the|its) way)\b|\b(?:is|are) (?:it|they|anything|everything|mine) "
        rf"(?:\w+ )?(?:ready|shipped|dispatched|posted|on (?:the|its) way)\b|"
        rf"\b(?:did|have|has) (?:you|u|they) (?:already )?"
        rf"(?:ship|shipped|send|sent|dispatch|dispatched|post|posted) (?:out )?(?:(?:my|our|the) "
        rf"(?:\w+ )?{ORDER_ISH}|it|them)\b",
    ),
    # When it turns up, how it is getting on: "any idea when the parcel lands".
    _r(
        "track_order",
        0.88,
        rf"\bwhen (?:\w+ ){{0,3}}(?:my|the|our) (?:\w+ )?{ORDER_ISH} (?:\w+ )?(?:turns? up|shows? "
        rf"up|gets? (?:here|there|to me)|arrives?|comes?|lands?|will (?:come|arrive|turn up|land))"
        rf"\b|\bhow (?:is|are) (?:my|our|the) (?:\w+ )?{ORDER_ISH}(?: (?:looking|doing|going|"
        rf"coming along|getting on|progressing))?$",
        ("store_info",),
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
        rf"dispatched|sent|sent out|left|gone out|on (?:the|its) way|out for delivery)\b|"
        rf"\bdid (?:my |the |our )?(?:{ORDER_ISH} )?(?:it )?(?:go out|go off|ship|ship out|leave|"
        rf"get (?:sent|shipped|dispatched|posted|out))\b",
    ),
    _r(
        "track_order",
        0.85,
        r"\b(?:any update|any news|updates?) on\b|\bwhere(?: is| are)? (?:it|they|my stuff)\b",
    ),
    _r(
        "track_order",
        0.88,
        rf"\b(?:happening|going on|up) with (?:my|our|the) (?:\w+ )?{ORDER_ISH}\b|"
        rf"\b(?:any )?sign of (?:my|our|the) (?:\w+ )?{ORDER_ISH}\b|\b(?:my|our|the) (?:\w+ )?"
        rf"{ORDER_ISH} (?:has not|have not|did not|is not|still not|not yet)(?: \w+)? (?:arrived|"
        rf"arrive|come|came|shipped|been delivered|turned up|shown up|here)\b",
    ),
    _r(
        "order_history",
        0.92,
        r"\b(?:order history|purchase history|(?:past|previous|old|recent|last|earlier|prior|"
        r"other|my|all) (?:orders|purchases)|(?:orders|purchases) i (?:have |had )?(?:made|placed|"
        r"done))\b",
    ),
    _r(
        "order_history",
        0.92,
        r"\b(?:what|which|how many|any|any other) (?:\w+ )?(?:orders|purchases) (?:have|do|did|"
        r"had) (?:i|we)\b|\b(?:do|did) (?:i|we) have (?:any )?(?:other |open |more )?orders\b|"
        r"\b(?:what|everything|all|things|stuff|items) (?:\w+ )?(?:i|we) (?:have |had |did )?"
        r"(?:ordered|bought|purchased|got) (?:before|last|so far|from you|in|previously|recently|"
        r"already)\b|\b(?:remind me|show me|show|list|see|tell me)(?: \w+){0,4} (?:i|we) "
        r"(?:have |had )?(?:ordered|bought|purchased)\b",
        ("store_info", "place_order", "browse_catalog"),
    ),
    _r(
        "order_history",
        0.88,
        r"^(?:my )?(?:orders|purchases)(?: please)?$|^(?:my |order |purchase )?history$|"
        r"\b(?:order|orders|purchase) list\b|"
        r"\blist of (?:my |all )?(?:orders|purchases)\b|"
        r"\b(?:what|which) (?:was|were|is|are) (?:the |"
        r"my )?(?:last|latest|previous|recent) (?:\w+ )?(?:i|we) (?:ordered|bought|purchased|"
        r"got)\b|\b(?:have|did) (?:i|we) (?:ever |already )?(?:order|ordered|buy|bought|purchase|"
        r"purchased)\b.*\b(?:before|previously|ever|already|last (?:time|week|month|year)|"
        r"in the past)\b",
        ("place_order", "browse_catalog"),
    ),
    _r(
        "order_history",
        0.9,
        r"\bwhat (?:did|have) i (?:order|ordered|buy|bought|purchase|purchased|get|got)"
        r"(?! (?:wrong|broken|is|was)\b)\b|(?<!to )(?<!from )(?<!into )(?<!in )(?<!on )"
        r"\b(?:my|the) (?:last|latest|previous) (?:order|purchase)\b",
    ),
    _r(
        "return_order",
        0.88,
        r"\b(?:return|returning|(?:send|sending|post|posting|bring|bringing|mail|ship) "
        r"(?:\w+ ){0,7}?back(?! (?:to|from) (?:me|you|us)\b)|take (?:it|this|them) back)\b|"
        # An exchange that does not say for what is a return first: "i'd like to exchange
        # the black mug" (with "for"/"with" it is a swap in the order, see modify_order).
        r"\bexchange\b(?!.*\b(?:for|with)\b)",
        ("modify_order", "complaint"),
    ),
    _r(
        "return_order",
        0.88,
        rf"\b(?:want|like|get|getting|request|requesting|ask for|asking for|need|demand|claim|"
        rf"claiming|receive|obtain|obtaining|apply for|give me|issue) (?:a |an |my |the |some |of |"
        rf"for )*(?:\w+ )?{REFUND}\b",
    ),
    _r(
        "return_order",
        0.85,
        rf"^(?:\w+ )?{REFUND}(?: of| for| on)?\b|\b(?:want|like|need|have|get)(?: \w+)? money "
        rf"back\b|\brefund me\b",
    ),
    _r(
        "refund_status",
        0.92,
        rf"\b(?:wait|waiting|waiting for|waiting on|expect|expecting|still waiting|not received|"
        rf"have not (?:got|gotten|received|seen)|never (?:got|received)|did not (?:get|receive)|"
        rf"where(?! (?:do|does|can|could|should|would|to|may|might|will)\b)|status of|"
        rf"(?:news|update|updates|word|info) (?:on|about|regarding|for)|any news|"
        rf"when (?:will|do|can|should) (?:i|we) "
        rf"(?:get|receive|see)|is my|sign of|happened to|happened with|happening with|"
        rf"going on with|"
        rf"how is|but no|and no|yet no|(?:did|have|has) (?:you|u|they) (?:already )?(?:process|"
        rf"processed|send|sent|"
        rf"issue|issued|pay|paid|approve|approved)|still no|no sign of)"
        rf"(?: \w+){{0,3}} {REFUND}\b",
        ("return_order",),
    ),
    _r(
        "refund_status",
        0.92,
        rf"\b(?:{REFUND}|return)\b(?: \w+){{0,4}} (?:yet|gone through|go through|went through|"
        rf"come through|processed|done|approved|accepted|arrived|has not arrived|not arrived|"
        rf"not back|still not|appeared|not appeared|"
        rf"(?:still )?(?:has not|have not|had not|did not) (?:come|arrived|landed|appeared|"
        rf"shown up|showed up|come through|gone through|gone in|been paid)|"
        rf"hit|land|landed|show up|shown up|showed up|showing|been paid|been sent|been issued|"
        rf"on (?:its|the) way)\b|"
        rf"\b(?:has|have|did|was|were|is) (?:\w+ ){{0,3}}(?:refunded|reimbursed|credited|"
        rf"processed|paid back)\b|\b(?:when|how soon) (?:\w+ ){{0,4}}(?:refunded|reimbursed|"
        rf"credited|paid back)\b|\bwhen\b(?: \w+){{0,4}} (?:money|{REFUND})(?: \w+){{0,3}} "
        rf"(?:back|returned|return|refunded|paid|credited)\b",
        ("return_order", "track_order", "out_of_scope"),
    ),
    _r(
        "refund_status",
        0.9,
        rf"\b{SENT_BACK}\b.*\b(?:no money|money (?:yet|back|still)|not (?:yet )?(?:got|received|"
        rf"seen) (?:the |my |any )?(?:money|{REFUND})|(?:got|received|seen|had) nothing|"
        rf"paid back|credited|the money|my money|"
        rf"{REFUND})\b|\b(?:money|{REFUND})\b.*\b(?:for|from) (?:the |my )?(?:\w+ )?"
        rf"(?:i (?:sent|posted|returned)|sent back|return)\b",
        ("return_order", "place_order"),
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
        r"returnable)\b|\bhow long (?:do|have|will) (?:i|we) (?:have |got )?to (?:return|send "
        r"\w+ back|get a refund|exchange)\b|\b(?:return|returns|refund) (?:window|period|"
        r"deadline|time limit)\b",
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
        r"\b(?:do|can) (?:you|u) (?:ship|deliver|send) (?:to(?! (?:my|our|me|us)\b)|overseas|"
        r"internationally|abroad|worldwide)\b|\b(?:do|does) (?:you|the (?:store|shop)) "
        r"(?:ship|deliver|post|do (?:delivery|deliveries|shipping)|offer (?:delivery|shipping))"
        r"\b(?! (?:it|them|my)\b)|"
        r"\b(?:ship|shipping|shipments?|deliver|delivery|deliveries|order|orders|buy) (?:to|"
        r"from) (?!(?:a|an|the|my|me|it|be|you|us|do|get|make|change|flat|unit|apartment|apt|"
        r"suite|house|number|no)\b)(?:[a-z]+)\b"
        r"(?!.*\b(?:address|instead)\b)",
    ),
    _r(
        "store_info",
        0.88,
        r"\b(?:shipping|delivery|shipment|postage) (?:options?|methods?|costs?|fees?|times?|"
        r"period|prices?|charges?|rates?)\b|\b(?:shipping|delivery|postage) (?:is |so |that |"
        r"this )*(?:expensive|pricey|dear|cheap|costly)\b|\b(?:how long|how soon|how many days|"
        r"how fast|how quickly|when(?! (?:will|is|does|do|should|can|would) (?:my|our|i|we)\b))"
        r"(?: \w+){0,6} (?:arrive|get here|come|take|takes|be delivered|expect|"
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
        r"\bhow (?:late|early) (?:\w+ ){0,5}(?:open|opens|close|closes|shut|shuts)\b|"
        r"\b(?:where (?:is|are) (?:the |your )?(?:\w+ ){0,3}(?:store|stores|shop|shops|location|"
        r"locations|branch)|address of|your address|store address|locations?|directions|parking|"
        r"where (?:are|r) (?:you|u)(?: guys)? (?:located|based)|"
        r"where (?:can|do) i find (?:you|u))\b",
    ),
    # --- escalation ---------------------------------------------------------------------
    _r(
        "human_agent",
        0.9,
        r"\b(?:transfer|put|connect|pass|forward|escalate|hand) (?:me|this|us) (?:over |through |"
        r"on )?(?:to|with) (?:\w+ )?(?:support|someone|somebody|a person|an agent|the team|a human|"
        r"staff|sales|customer care)\b",
    ),
    _r(
        "human_agent",
        0.92,
        r"\b(?:human|humans|(?:real|actual|live|proper) (?:person|people)|a person|live agent|"
        r"an agent|agent|operator|"
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
    # Something wrong with what came, said plainly: "the beans taste off", "the lid does not
    # close properly", "you sent me decaf, i ordered regular".
    _r(
        "complaint",
        0.86,
        r"\b(?:tastes?|tasted|tasting|smells?|smelled|smelt) (?:\w+ )?(?:off|bad|weird|funny|stale|"
        r"burnt|awful|horrible|sour|musty|rancid|strange)\b|\b(?:does not|do not|did not|will not|"
        r"can not|is not|are not|would not) (?!want|need|like|mind|care)(?:\w+ ){0,2}(?:properly|"
        r"anymore|any more|at all|correctly)\b|\b(?:sent|gave|delivered) (?:me |us )?(?:\w+ ){1,3}"
        r"(?:but |and |when |though |while |yet )?(?:i|we) (?:ordered|asked for|wanted|paid for)\b|"
        r"\b(?:got|received|sent|gave|delivered|came with|arrived with) (?:me |us )?(?:\w+ ){1,4}"
        r"instead of\b|"
        r"\b(?:(?:i|we) )?(?:ordered|asked for|paid for)\b(?: \w+){1,6} (?:and|but) (?:i |we )?"
        r"(?:only |just )?(?:got|received|came|arrived|was sent|were sent|you sent|they sent|it "
        r"came)\b|"
        r"\b(?:came|arrived) (?:\w+ )?(?:open|opened|burst|unsealed)\b|\b(?:spilled|spilt|leaked) "
        r"(?:everywhere|all over|out)\b|\bon the floor\b",
        ("place_order", "modify_order", "browse_catalog"),
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
        rf"box)\b|\bsent (?:me )?(?:the )?wrong\b|\b(?:i|we) (?:bought|ordered|got|received|"
        rf"purchased)(?: \w+){{0,4}} (?:is |are |was |were |has |have )?(?:already )?"
        rf"{SORRY_STATE}\b",
    ),
    _r(
        "complaint",
        0.85,
        r"\b(?:ridiculous|terrible|awful|horrible|unacceptable|disgusting|disappointed|"
        r"disappointing|not happy|unhappy|worst|rude|useless|(?:is|was|what) a joke|scam|furious|"
        r"angry|annoyed|"
        r"fed up|poor service|bad service|pathetic|frustrating|frustrated|shocking|appalling|"
        r"not (?:ok|acceptable|good enough|impressed|happy|satisfied|normal)|expected better|"
        r"very poor|beyond a joke|sick of|tired of|chasing|disgrace|disgraceful|shambles|"
        r"messed up|mess up|screwed up|botched|"
        r"promised\b.*\b(?:never|nobody|no one|not)\b|"
        r"(?:thrown|chucked|dumped|tossed) (?:\w+ ){0,3}(?:over|outside|on the|in the|in a|on a)|"
        r"dissatisfied|dissatisfaction|displeased|unsatisfied|"
        r"(?:wait|waiting|waited) (?:so|this|that) long|"
        r"so poor|stopped working|does not work|do not work|not working|"
        r"(?:really|so|very|extremely) (?:bad|poor|slow))\b|"
        r"\bwhy\b.*\b(?:so long|so slow|ages|forever)\b",
    ),
    _r(
        "complaint",
        0.88,
        r"\b(?:double (?:charged|charge|charging|billed)|overcharged|over charged|overcharging|"
        r"(?:charged|billed|debited)(?: \w+){0,3} (?:twice|two times|2 times|2x|double|again|"
        r"too much|the wrong)|(?:charged|billed|paid)\b.*\b(?:never|not|did not) (?:got|get|"
        r"received|receive|ordered|order|arrived)|(?:took|taken) (?:\w+ )?(?:money|payment)\b.*"
        r"\b(?:no|never|not|nothing|without)\b|(?:took|taken|taking|take) (?:the |my |our )?"
        r"(?:money|payment) "
        r"(?:\w+ ){0,3}(?:twice|two times|2 times|again))\b",
        ("out_of_scope",),
    ),
    _r(
        "complaint",
        0.85,
        r"\b(?:(?:second|third|fourth|fifth|umpteenth|nth) time|another time (?:i|that i|we|now)|"
        r"on hold (?:for )?(?:\w+ )?(?:hour|hours|ages|forever)|(?:trying|tried) to (?:reach|"
        r"contact|get hold of|get through to|call)\b.*\bfor (?:a |an |\d+ |two |three |several )?"
        r"(?:hours?|days?|weeks?|ages|months?)\b|(?:asked|told|written|emailed|"
        r"called|contacted|chased|messaged)(?: you)? "
        r"(?:\w+ )?(?:times|again and again|repeatedly)|(?:several|many|multiple|three|four|"
        r"five|3|4|5|10) times|keep (?:getting|being) (?:ignored|told)|(?:nobody|no one|noone) "
        r"(?:is |are |has |have |ever |even )?(?:replied|answered|responded|got back|gets back|"
        r"called back|replies|answers|responds|helps|answering|replying|responding|picking up|"
        r"helping|called|rang|came|showed up|bothered|cared)|"
        r"waiting (?:for|on) (?:a |an |your |any )?(?:reply|response|answer|call back|callback)|"
        r"(?:still )?no (?:reply|replies|response|answer)|"
        r"not (?:even )?(?:replied|answered|responded|heard back)|"
        r"(?:being|getting|been|keep|feel) ignored)\b",
        ("human_agent",),
    ),
    _r(
        "complaint",
        0.8,
        r"\b(?:waiting|waited|been waiting) (?:\w+ ){0,3}(?:forever|ages|so long|too long|weeks|"
        r"months)\b|\b(?:taking|takes|took) (?:way |far |so |much )?too long\b|"
        r"\b(?:\d+|two|three|four|several|many) (?:weeks|months) (?:and|now|later)"
        r"(?: \w+)? (?:nothing|still|no)\b|\b(?:still waiting|waiting) (?:\w+ ){0,4}(?:after|"
        r"for|over) (?:\d+ |two |three |four |several |many )?(?:days|weeks|months)\b|"
        r"\btaking (?:so long|ages|forever)\b",
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
    # Operating a device is not buying one: "turn on the vacuum cleaner", "start the robot
    # cleaner" (a shop that sells cleaner tablets), "play hot 97". A product with a count
    # still reads as an order (the cue of a product with a quantity is as strong).
    _r(
        "out_of_scope",
        0.85,
        r"^(?:(?:please|can you|could you|hey|ok|now) )*(?:\w+ )?(?:turn|switch) (?:\w+ ){0,4}?"
        r"(?:on|off)\b|^(?:(?:please|can you|could you|hey|ok|now) )*(?:\w+ )?(?:start|activate|"
        r"run|play)\b(?! (?:a |an |the |my |new |another |me )*(?:order|orders|return|refund|"
        r"purchase|over|again|shopping|out|through|low)\b)",
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
