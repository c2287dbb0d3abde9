"""The Django shell around the stock rules (``segmenta.treatment.stock``): it reads lots,
injections and write-offs in a fixed number of queries, hands plain numbers to the rules,
and picks and checks the lot an injection is drawn from."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from segmenta import l10n
from segmenta.audit.trail import record

from . import stock
from .models import Delivery, Injection, Lot, Product, WriteOff


class StockError(Exception):
    """A draw the stock refuses, with the field it concerns (forms and the API show it there)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def balances(lots, clinic_id):
    """Annotate each lot of ``lots`` (loaded with their product, all of clinic ``clinic_id``)
    with ``drawn``, ``written_off``, ``on_hand`` and ``state``; two queries for any number
    (none for no lots)."""
    lots = list(lots)
    ids = [lot.pk for lot in lots]
    if not ids:
        return lots  # a clinic that keeps no stock here pays no query for it
    per_session = {}
    for row in (Injection.objects.filter(clinic_id=clinic_id, stock_lot_id__in=ids)
                .values("stock_lot_id", "session_id").annotate(ml=Sum("volume_ml")).order_by()):
        per_session.setdefault(row["stock_lot_id"], []).append(row["ml"])
    written = dict(WriteOff.objects.filter(clinic_id=clinic_id, lot_id__in=ids).values("lot_id")
                   .annotate(units=Sum("units")).order_by().values_list("lot_id", "units"))
    today = timezone.localdate()
    for lot in lots:
        product = lot.product
        # A lot is received only for a product with its unit volume; should it have been
        # cleared since, the draws cannot be counted in units and count as nothing drawn.
        lot.drawn = (stock.units_drawn(product.multi_dose, product.unit_volume_ml, per_session.get(lot.pk, []))
                     if product.unit_volume_ml else Decimal(0))
        lot.written_off = written.get(lot.pk) or Decimal(0)
        lot.on_hand = stock.on_hand(lot.quantity_received, lot.drawn, lot.written_off)
        lot.state = stock.shelf_state(lot.expiry, today)
    return lots


def shelf(clinic):
    """The clinic's stock as the stock page lists it: every lot still holding something
    (with its balance), the products with their usable total and whether it is low, and the
    lists that need attention. Four queries, however many lots."""
    products = list(Product.objects.filter(clinic=clinic).order_by("-active", "name", "id"))
    lots = balances(Lot.objects.filter(clinic=clinic).select_related("product"), clinic.pk)
    on_shelf = [lot for lot in lots if lot.on_hand > 0]
    by_product = {}
    for lot in on_shelf:
        by_product.setdefault(lot.product_id, []).append(lot)
    for product in products:
        product.shelf_lots = by_product.get(product.pk, [])
        product.usable = sum((lot.on_hand for lot in product.shelf_lots if lot.state != "expired"), Decimal(0))
        product.tracked = any(lot.product_id == product.pk for lot in lots)
        product.low = product.active and stock.low(product.usable, product.low_stock_units)
        product.packs = (product.usable / product.units_per_pack) if product.units_per_pack else None
    return {
        "products": products,
        "low": [p for p in products if p.low],
        "expiring": sorted((lot for lot in on_shelf if lot.state == "expiring"), key=lambda lot: lot.expiry),
        "expired": sorted((lot for lot in on_shelf if lot.state == "expired"), key=lambda lot: lot.expiry),
        "within_days": stock.EXPIRING_WITHIN_DAYS,
    }


def in_stock(clinic_id, product=None):
    """The lots one can draw from now: holding something and not expired, soonest expiry
    first (the first is the one proposed)."""
    lots = Lot.objects.filter(clinic_id=clinic_id, product__active=True, expiry__gte=timezone.localdate())
    if product is not None:
        lots = lots.filter(product=product)
    found = [lot for lot in balances(lots.select_related("product"), clinic_id) if lot.on_hand > 0]
    return sorted(found, key=lambda lot: (lot.expiry, lot.received_on, lot.pk))


def lot_label(lot):
    """How a lot reads in a picker: "Procaine 1 % 2 mL ampoule · lot A123 · expires 31.03.2027 · 40 left"."""
    return _("%(product)s · lot %(lot)s · expires %(date)s · %(left)s left") % {
        "product": lot.product.name, "lot": lot.number, "date": l10n.day(lot.expiry),
        "left": l10n.number(stock.shown(lot.on_hand))}


def lot_key_of(field):
    """``stock.lot_key`` in SQL, for a lot number stored as typed (an injection's ``lot``):
    without the same spaces (``stock.LOT_NUMBER_SPACES``), in upper case."""
    key = Upper(field)
    for space in stock.LOT_NUMBER_SPACES:
        key = Replace(key, Value(space), Value(""))
    return key


def _same_lot(a, b):
    return stock.lot_key(a) == stock.lot_key(b)


def choose_lot(clinic_id, injection):
    """Pick and check the lot ``injection`` (the dict add_injection() takes) is drawn from,
    and fill its product, lot number and expiry from it. Returns the lot, or None for an
    injection that draws from no kept stock (no product, or a product whose stock this
    clinic does not keep here: older data and imports record as before).

    - A lot picked (``stock_lot``) must be this clinic's, of a product still in use and of
      the product entered, and its number and expiry must agree with any typed.
    - Without one, a product whose stock is kept draws from the lot whose number was typed,
      else from the lot proposed (in stock, expiring first).
    - An expired lot is refused: it belongs in a write-off, not in a patient. (The safety
      check's product_expiry rule still judges an expiry typed by hand.)
    """
    lot, product = injection.get("stock_lot"), injection.get("product")
    if lot is not None:
        if lot.clinic_id != clinic_id:
            raise StockError("stock_lot", _("Not a lot of this clinic."))
        if not lot.product.active:
            # As the lot picker offers none and the API refuses the product: retired is retired.
            raise StockError("stock_lot", _("%(product)s is retired: its lots are no longer drawn from.")
                             % {"product": lot.product.name})
        if product is not None and lot.product_id != product.pk:
            raise StockError("stock_lot", _("Lot %(lot)s is of %(product)s, not of the product entered.")
                             % {"lot": lot.number, "product": lot.product.name})
        if injection.get("lot") and not _same_lot(injection["lot"], lot.number):
            raise StockError("lot", _("The lot picked from stock is %(lot)s; leave this empty or match it.")
                             % {"lot": lot.number})
    elif product is not None and Lot.objects.filter(clinic_id=clinic_id, product=product).exists():
        typed = (injection.get("lot") or "").strip()
        if typed:
            lot = (Lot.objects.filter(clinic_id=clinic_id, product=product)
                   .annotate(key=lot_key_of("number")).filter(key=stock.lot_key(typed)).first())
            if lot is None:
                raise StockError("lot", _("%(product)s has no lot %(lot)s in stock: pick a lot from stock, or "
                                          "receive this one first.") % {"product": product.name, "lot": typed})
        else:
            usable = in_stock(clinic_id, product)
            if not usable:
                raise StockError("stock_lot", _("No lot of %(product)s in stock: receive stock first.")
                                 % {"product": product.name})
            lot = usable[0]
    if lot is None:
        return None
    if injection.get("expiry") and injection["expiry"] != lot.expiry:
        raise StockError("expiry", _("Lot %(lot)s expires on %(date)s; leave this empty or match it.")
                         % {"lot": lot.number, "date": l10n.day(lot.expiry)})
    day = timezone.localtime(injection["time"]).date() if injection.get("time") else timezone.localdate()
    if lot.expiry < day:
        raise StockError("stock_lot", _("Lot %(lot)s expired on %(date)s: write it off instead of injecting it.")
                         % {"lot": lot.number, "date": l10n.day(lot.expiry)})
    injection.update(stock_lot=lot, product=lot.product, lot=lot.number, expiry=lot.expiry)
    return lot


def ensure_available(lot, session, volume_ml):
    """Refuse a draw the lot cannot give. Call inside the transaction that saves the
    injection: the lot's row is locked, so two rooms drawing the last ampoule at once get
    one refusal, not a negative balance."""
    locked = Lot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    (counted,) = balances([locked], locked.clinic_id)
    before = (Injection.objects.filter(clinic_id=session.clinic_id, session=session, stock_lot=locked)
              .aggregate(ml=Sum("volume_ml"))["ml"]) or Decimal(0)
    needed = stock.units_needed(locked.product.multi_dose, locked.product.unit_volume_ml, before, volume_ml)
    if needed > counted.on_hand:
        raise StockError("stock_lot", _("Lot %(lot)s has %(left)s units left; this injection needs %(needed)s.")
                         % {"lot": locked.number, "left": l10n.number(stock.shown(counted.on_hand)),
                            "needed": l10n.number(stock.shown(needed))})


def recall(lot):
    """Every injection from ``lot``, with its session and patient, in one query: those
    drawn from it in stock and those that only name its number (typed by hand, imported)
    of the same product or of none."""
    return (Injection.objects.filter(clinic_id=lot.clinic_id)
            .annotate(lot_key=lot_key_of("lot"))
            .filter(Q(stock_lot=lot) | Q(stock_lot=None, lot_key=stock.lot_key(lot.number))
                    & (Q(product=lot.product_id) | Q(product=None)))
            .select_related("session", "session__patient", "product")
            .order_by("session__patient__family_name", "session__patient__given_name", "session__started_at",
                      "order"))


def other_expiry(number, expiry):
    """Why a delivery of lot ``number`` with another expiry than the one on record (``expiry``)
    is refused: a lot has one expiry, so one of them was misread."""
    return _("Lot %(lot)s of this product is on record expiring %(date)s; check the pack.") % {
        "lot": number, "date": l10n.day(expiry)}


def receive(form, user, request=None):
    """Save the delivery of a valid ReceiveForm: a new lot, or more units of the lot on record;
    audited. Returns ``(lot, recorded)``; ``recorded`` is False when this form's delivery was
    recorded already (the same form sent twice), and nothing is added then.

    Deliveries of a product are recorded one at a time (its row is locked): the same form
    sent twice at once finds the first one's delivery by its token, and two deliveries of a
    new lot at once make one lot that the second adds to, instead of the second failing on
    the lot's unique number."""
    data, clinic = form.cleaned_data, form.clinic
    try:
        with transaction.atomic():
            product = Product.objects.select_for_update().get(pk=data["product"].pk)
            done = _delivered(clinic, data["token"])
            if done is not None:
                return done.lot, False
            lot = Lot.objects.select_for_update().filter(clinic=clinic, product=product, number=data["number"]).first()
            action = "update" if lot is not None else "create"
            if lot is None:
                lot = Lot(clinic=clinic, product=product, number=data["number"], expiry=data["expiry"],
                          quantity_received=data["quantity_received"], received_on=data["received_on"],
                          note=data["note"], received_by=user)
                lot.full_clean()
                lot.save()
            elif lot.expiry != data["expiry"]:
                raise StockError("expiry", other_expiry(lot.number, lot.expiry))
            elif lot.quantity_received + data["quantity_received"] > Lot.MAX_UNITS:
                raise StockError("quantity_received", _(
                    "Lot %(lot)s holds %(held)s units on record already: one lot holds at most %(max)s, so at most "
                    "%(more)s more can be received.") % {
                    "lot": lot.number, "held": l10n.number(lot.quantity_received), "max": l10n.number(Lot.MAX_UNITS),
                    "more": l10n.number(Lot.MAX_UNITS - lot.quantity_received)})
            else:
                lot.quantity_received += data["quantity_received"]
                if data["note"]:
                    lot.note = "; ".join(part for part in (lot.note, data["note"]) if part)[:500]
                lot.save(update_fields=["quantity_received", "note"])
            delivery = Delivery.objects.create(clinic=clinic, lot=lot, units=data["quantity_received"],
                                               received_on=data["received_on"], received_by=user, note=data["note"],
                                               token=data["token"])
            record(action, request=request, user=user, clinic=clinic, obj=lot,
                   detail={"received": delivery.units, "product": product.name, "lot": lot.number,
                           "expiry": lot.expiry.isoformat(), "quantity_received": lot.quantity_received,
                           "delivery": delivery.pk})
    except IntegrityError:
        # Only when the lock above was not held (a database without row locks): say what to do.
        done = _delivered(clinic, data["token"])
        if done is not None:
            return done.lot, False
        raise StockError(None, _("Another delivery of lot %(lot)s was being recorded at the same moment; send "
                                 "the form again.") % {"lot": data["number"]}) from None
    return lot, True


def _delivered(clinic, token):
    return Delivery.objects.filter(clinic=clinic, token=token).select_related("lot__product").first()


def write_off(lot, form, user, request=None):
    """Save a write-off from a valid WriteOffForm, checked against the balance again under the
    lot's lock (a draw may have come in since the form was shown); audited."""
    with transaction.atomic():
        locked = Lot.objects.select_for_update().select_related("product").get(pk=lot.pk)
        (counted,) = balances([locked], locked.clinic_id)
        units = form.cleaned_data["units"]
        if units > counted.on_hand:
            raise StockError("units", _("Only %(left)s units of this lot are left.")
                             % {"left": l10n.number(stock.shown(counted.on_hand))})
        item = form.save(commit=False)
        item.clinic, item.lot, item.written_off_by = locked.clinic, locked, user
        item.save()
        record("create", request=request, user=user, clinic=locked.clinic, obj=item,
               detail={"lot": locked.number, "product": locked.product.name, "units": str(units),
                       "reason": item.reason})
    return item
