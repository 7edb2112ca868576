"""The churn-intent patterns per language (EN, ES, FR, DE) and category: lemma sets in order,
with gaps (see :class:`processors.patterns.Pattern`), read by :mod:`processors.intent`."""

from __future__ import annotations

from processors.language import Language
from processors.patterns import Pattern, patterns

_EN_SERVICE = (
    "subscription|subscriptions|contract|contracts|account|service|services|plan|membership"
    "|broadband|package|policy|line|lines|sim|tariff|internet|fibre|fiber|deal"
)
_EN_PROVIDER = (
    "provider|providers|company|companies|network|networks|operator|operators|carrier|carriers"
    "|supplier|suppliers|isp|isps|competitor|competitors"
)
_ES_SERVICE = "contrato|suscripción|cuenta|servicio|línea|plan|tarifa|abono|fibra|permanencia"
_ES_PROVIDER = "compañía|compañia|empresa|operador|operadora|proveedor|proveedora|competencia"
_FR_SERVICE = "abonnement|contrat|forfait|compte|ligne|box|service|offre|engagement"
_FR_PROVIDER = "opérateur|operateur|fournisseur|compagnie|société|prestataire|concurrent|fai"
_DE_SERVICE = "vertrag|*vertrag|abo|abonnement|tarif|*tarif|anschluss|*anschluss|konto|*konto"
_DE_PROVIDER = "anbieter|*anbieter|provider|netz|netzbetreiber|betreiber|firma|konkurrenz"

PATTERNS: dict[Language, dict[str, tuple[Pattern, ...]]] = {
    "en": {
        "legal": patterns(
            "lawyer|lawyers|solicitor|attorney|ombudsman|lawsuit|sue|suing|ofcom|fcc|regulator",
            "legal ~1 action|advice|proceedings|route",
            "small ~0 claims",
            "see ~1 you ~1 court",
            "trading ~0 standards",
            "report ~1 you|this ~2 to",
        ),
        "chargeback": patterns(
            "chargeback|charge-back",
            "dispute ~2 charge|charges|payment|transaction|debit",
            "call|contact|ask|tell ~2 bank|card ~1 to ~3 reverse|stop|block|refund|dispute",
            "call ~0 my ~0 bank",
            "reverse ~2 charge|charges|payment",
            "stop|block ~2 direct ~0 debit",
        ),
        "porting": patterns(
            "port|porting|ported|port-out ~3 number|out|away",
            "pac|stac|porting ~0 code",
            "transfer|transferring|move|moving|take|taking|keep|keeping ~3 number ~3 to|with|when"
            " ~3 " + _EN_PROVIDER + "|@NAME|switch|leave|go",
            "transfer|move ~3 number ~1 away|elsewhere|over|out",
            "number ~1 ported|transferred|moved ~1 to|over|out|away",
        ),
        "cancel": patterns(
            "cancel|cancelling|canceling|cancelled|canceled|terminate|terminating|discontinue"
            " ~3 " + _EN_SERVICE,
            "cancellation|termination ~3 " + _EN_SERVICE,
            "request|want|need|confirm|process|submit|like ~2 cancellation|termination",
            "stop|end ~1 subscription|contract|membership",
            "want|like|going|need|wish|will|please|gonna|to|am ~1 cancel|cancelling|terminate",
            "to|will|please|gonna ~0 end ~2 " + _EN_SERVICE,
        ),
        "close_account": patterns(
            "close|closing|delete|deleting|shut ~2 account|accounts|profile",
            "account ~0 closure|deletion",
            "closure|deletion ~2 account",
            "want|like|need ~3 account|accounts ~1 closed|deleted",
        ),
        "contract_end": patterns(
            "contract|term|deal|subscription|plan ~3 up|over|end|ends|ending|expire|expires"
            "|expiring|finish|finishes|runs",
            "end|expiry ~2 contract|term|minimum",
        ),
        "competitor": patterns(
            "competitor|competitors|competition",
            "other|another|different|new|cheaper ~1 " + _EN_PROVIDER,
            "find|found|got|get|offered|seen|saw ~3 better|cheaper|lower"
            " ~1 deal|offer|price|rate|package|plan|tariff",
            "better|cheaper ~1 deal|offer|price|package ~3 elsewhere|somewhere",
            "switch|switching|switched|change|changing ~2 " + _EN_PROVIDER + "|away",
            "switch|switching|switched|move|moving ~1 to|over ~1 @NAME",
            "go|going|take|taking|move|moving|look|looking|shop|shopping ~3 elsewhere",
            "leave|leaving|left ~2 for ~0 another|@NAME",
            "shop|shopping ~1 around",
            "jump ~1 ship",
            "look|looking|consider|considering|explore|exploring|weigh|weighing|compare|comparing"
            " ~2 other|my|alternative ~1 option|options|alternatives|offers|deals|" + _EN_PROVIDER,
            "@NAME ~3 offered|offering|offer ~2 me",
        ),
        "leaving": patterns(
            "leave|leaving|quit|quitting ~1 you|for|this|your ~1 company|network|service|lot|guys",
            "leave|leaving ~0 you",
            "think|thinking|consider|considering|planning|about|close|going|ready ~2 leave|leaving"
            "|quit|walk|cancel|cancelling|switch|switching",
            "done ~1 with ~2 you|company|provider|network|service|this|acme",
            "take ~1 my ~0 business ~1 elsewhere",
        ),
        "refund": patterns(
            "want|demand|need|expect|get ~3 refund",
            "full ~0 refund",
            "money ~0 back",
            "refund ~0 me",
        ),
    },
    "es": {
        "legal": patterns(
            "abogado|abogados|denuncia|denunciar|demanda|demandar|tribunales|juicio|ocu|facua",
            "consumo ~2 reclamación|denuncia|hoja",
            "hoja ~1 de ~0 reclamaciones",
        ),
        "chargeback": patterns(
            "devolver|devuelvo|devolveré ~2 recibo|recibos|cargo|cargos",
            "banco ~4 devolver|devuelva|devolución|anular|retroceder",
        ),
        "porting": patterns(
            "portabilidad",
            "portar|portarme|portaré|llevarme|llevar|llevo ~2 número|numero|línea",
        ),
        "cancel": patterns(
            "cancelar|cancelo|cancelaré|anular|anulo|rescindir|rescindo ~3 " + _ES_SERVICE,
            "cancelación|rescisión ~3 " + _ES_SERVICE,
            "rescindir|rescisión",
            "dar|darme|darse|darnos|doy|daré|des ~1 de ~0 baja",
            "solicitar|pedir|tramitar|quiero|solicito|pido|tramitad ~2 baja",
            "quiero|quería|voy|vamos|pienso|necesito ~2 cancelar|anular",
        ),
        "close_account": patterns("cerrar|eliminar|borrar|cierren|cierre ~2 cuenta"),
        "contract_end": patterns(
            "termine|acabe|venza|vence|finalice|termina|acaba|finaliza|fin ~3 contrato|permanencia",
            "contrato|permanencia ~3 termine|acabe|venza|vence|finalice|termina|acaba",
        ),
        "competitor": patterns(
            "otra|otro|otras|otros ~1 " + _ES_PROVIDER,
            "competencia",
            "cambiar|cambiarme|cambio|paso|pasarme|pasar|irme|me ~0 voy|iré ~2 a ~2 @NAME",
            "cambiar|cambiarme|cambio ~2 de ~0 compañía|compañia|operador|operadora|proveedor",
            "ofrecen|ofrecido|ofrece|ofrecieron|ofrecía ~3 mejor|más ~1 barato|precio|oferta"
            "|tarifa",
            "mejor ~1 oferta|precio|tarifa ~3 en ~1 otra|otro|@NAME",
        ),
        "leaving": patterns(
            "irme|marcharme|dejaros|dejarles|dejarlos|abandonar ~2 compañía|empresa|ustedes"
            "|vosotros",
            "pienso|pensando|planteando|plantear|considerando ~2 irme|marcharme|dejaros|dejarles"
            "|cambiarme|cambiar",
            "me ~0 voy ~1 de ~2 compañía|empresa|aquí",
        ),
        "refund": patterns(
            "reembolso|devolución ~3 dinero|importe|total",
            "quiero|exijo ~3 reembolso|devolución",
            "devuelvan ~2 dinero",
        ),
    },
    "fr": {
        "legal": patterns(
            "avocat|tribunal|tribunaux|justice|médiateur|ufc|dgccrf|arcep|poursuivre",
            "porter ~0 plainte",
            "association ~2 consommateur|consommateurs",
        ),
        "chargeback": patterns(
            "opposition ~3 prélèvement|carte|paiement",
            "contester ~3 prélèvement|paiement|débit",
            "banque ~4 rembourser|annuler|bloquer|prélèvement",
        ),
        "porting": patterns(
            "portabilité",
            "porter|transférer|garder|conserver ~2 numéro ~3 chez|opérateur",
            "code ~0 rio",
            "rio",
        ),
        "cancel": patterns(
            "résilier|résilie|résilierai|résiliation|résilié|résiliée",
            "annuler|annule|annulation ~3 " + _FR_SERVICE,
            "mettre|mets ~0 fin ~2 contrat|abonnement|engagement|forfait",
            "désabonner|désabonnement|désinscrire",
        ),
        "close_account": patterns("fermer|clôturer|clôture|supprimer|fermeture ~2 compte"),
        "contract_end": patterns(
            "fin ~2 engagement|contrat|abonnement|forfait",
            "engagement|contrat ~3 termine|finit|fini|expire|prend",
        ),
        "competitor": patterns(
            "autre|autres ~1 " + _FR_PROVIDER,
            "concurrent|concurrents|concurrence",
            "partir|passer|aller|pars|passe|vais ~1 chez ~1 @NAME|un|le|la|autre|concurrent",
            "changer|change|changerai ~1 de ~0 " + _FR_PROVIDER,
            "meilleure|meilleur ~1 offre|prix|tarif",
            "offre ~2 plus ~1 intéressante|avantageuse",
            "proposé|propose|offert|offre ~3 moins ~0 cher|mieux|meilleur|meilleure",
        ),
        "leaving": patterns(
            "quitter|quitte|quitterai ~2 vous|chez|opérateur|compagnie|société",
            "vous ~0 quitter|quitte|quitterai",
            "pense|envisage|réfléchis|songe ~2 partir|quitter|résilier|changer",
            "partir ~1 de ~1 chez ~1 vous",
        ),
        "refund": patterns(
            "exige|exiger|veux|demande|réclame ~3 remboursement|rembourser",
            "mon ~0 argent",
        ),
    },
    "de": {
        "legal": patterns(
            "anwalt|rechtsanwalt|anwältin|gericht|verbraucherzentrale|bundesnetzagentur|klage|klagen"
            "|verklagen|schlichtungsstelle|rechtliche",
        ),
        "chargeback": patterns(
            "rücklastschrift|zurückbuchen|zurückbuchung|zurückgebucht",
            "lastschrift ~3 zurück|zurückgeben|widerrufen|stornieren",
            "bank ~4 zurückholen|zurück|stoppen|sperren",
        ),
        "porting": patterns(
            "rufnummernmitnahme|portierung|portieren|nummernmitnahme|*mitnahme",
            "nummer|rufnummer|handynummer ~3 mitnehmen|portieren|übertragen|mit",
            "mitnehmen ~2 nummer|rufnummer",
        ),
        "cancel": patterns(
            "kündigen|kündige|kündigung|*kündigung|gekündigt|kündigt|kündige|kündigungsfrist",
            "stornieren|storniere|beenden|beende|auflösen ~3 " + _DE_SERVICE,
            _DE_SERVICE + " ~3 beenden|auflösen|aufheben|stornieren",
        ),
        "close_account": patterns(
            "konto|kundenkonto|account ~3 löschen|schließen|auflösen",
            "löschen|schließen ~3 konto|kundenkonto|account",
        ),
        "contract_end": patterns(
            "vertrag|*vertrag|laufzeit|vertragslaufzeit ~3 läuft|endet|ausläuft|aus|ende|vorbei",
            "vertragsende|laufzeitende",
        ),
        "competitor": patterns(
            "anderen|anderer|andere|neuen|neuer|günstigeren ~1 " + _DE_PROVIDER,
            "anbieterwechsel|konkurrenz|konkurrent|mitbewerber",
            "wechseln|wechsle|wechsele|gewechselt|wechsel ~3 zu|zur|zum|anbieter",
            "besseres|günstigeres|billigeres ~1 angebot",
            "angebot ~3 besser|günstiger|billiger",
        ),
        "leaving": patterns(
            "verlassen",
            "weg ~1 von ~1 euch|ihnen",
            "überlege|denke|überlegen ~3 wechseln|kündigen|gehen|weg",
        ),
        "refund": patterns(
            "geld ~1 zurück",
            "erstattung|rückerstattung|zurückerstatten|erstatten",
        ),
    },
}

# Intent that is a negation: "I won't renew", "no voy a renovar", "ich verlängere nicht".
NEGATED_INTENT: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns(
        "renew|renewing|renewal|extend|extending|re-sign|recontract", "stay ~1 with ~1 you"
    ),
    "es": patterns(
        "renovar|renuevo|renovaré|renovación", "seguir|continuar|quedarme ~1 con ~1 ustedes"
    ),
    "fr": patterns(
        "renouveler|renouvelle|renouvellerai|renouvellement|reconduire|prolonger",
        "rester ~1 chez ~1 vous",
    ),
    "de": patterns("verlängern|verlängere|verlängerung", "bleiben|bleibe ~4 bei ~1 euch|ihnen"),
}
LET_LAPSE = patterns("let ~2 contract|subscription|plan|deal ~1 lapse|expire|run")
