# The portal's texts in English. Every message here must exist in every
# other i18n/<language>/ folder (a test checks it).

language-name = English
skip-to-content = Skip to the content
language-switch = Language
nav-label = Main
nav-home = Home
nav-calculator = Duty calculator
nav-tariff = Tariff
nav-hs = HS code assistant
nav-offices = Customs offices
nav-status = Service status
footer-text = tamga, open digital customs. The demo tariff is illustrative, not the legal tariff.
footer-api = The API (OpenAPI)

fmt-group-separator = ,
fmt-decimal-separator = .

## Home

home-title = Customs clearance, open and explained
home-lead = tamga takes an electronic customs declaration, checks it, calculates the duties, assesses the risk and releases the goods, mostly without waiting for an officer. Every decision is recorded with its reasons.
home-calculator = Work out the duties, excise and VAT on one item, every measure explained.
home-tariff = Search the goods nomenclature and see the measures of a heading.
home-hs = Describe goods in a few words and get the likely HS codes, each with its reasons.
home-offices = Find a customs office, what it handles and where it is.
home-status = See whether the service and its database are up.
home-how-title = How it works
home-how = A trader lodges a signed declaration. tamga controls it, registers it, calculates the duties from the tariff, decides the control channel and reserves the money on the trader's account. A green declaration is released at once; others go to an officer.
home-api-title = For software
home-api = Everything here is also an HTTP API with a published description.
home-tariff-in-use = Tariff in use: { $name }

## Duty calculator

calc-title = Duty calculator
calc-lead = Enter one goods item as you would declare it. The result is calculated by the same engine that assesses declarations.
calc-errors-title = The item could not be calculated
calc-goods-code = Goods code
calc-goods-code-hint = 6, 8 or 10 digits, for example 8471300000
calc-origin = Country of origin
calc-origin-hint = Two letters (ISO 3166), for example CN
calc-preferential-origin = Preferential origin
calc-preferential-origin-hint = Only when you claim a preference; two letters
calc-customs-value = Customs value
calc-customs-value-hint = A number with a dot for decimals, for example 12000.00
calc-currency = Currency
calc-currency-hint = Three letters (ISO 4217), for example USD
calc-date = Date
calc-date-hint = YYYY-MM-DD; today when empty
calc-additional-code = Additional code
calc-additional-code-hint = Only if the tariff asks for one
calc-documents = Documents presented
calc-documents-hint = Codes of certificates or licences, separated by commas
calc-quantities = Quantities
calc-quantities-hint = Needed when a measure is charged per unit (for example net mass in KGM).
calc-quantity-unit = Unit
calc-quantity-unit-hint = For example KGM, LTR, NAR
calc-quantity-value = Quantity
calc-submit = Calculate
calc-no-tariff = No tariff is loaded, so nothing can be calculated.
calc-result-heading = Duties for { $code } from { $origin }
calc-result-tariff = Tariff: { $name }
calc-value-national = Customs value in national currency
calc-rate-title = Exchange rate
calc-rate = 1 { $currency } = { $rate }
calc-lines-caption = Every measure charged, with its expression and base
calc-col-measure = Measure
calc-col-kind = Kind
calc-col-area = Applies to
calc-col-expression = Duty expression
calc-col-base = Base
calc-col-amount = Amount
calc-total-customs-duty = Customs duty
calc-total-additional = Additional duties
calc-total-excise = Excise
calc-total-vat = VAT
calc-total = Total to pay
calc-notes = Notes
calc-rounding = Each line is rounded half-up to the national currency's minor unit; totals are sums of rounded lines.

## Errors of the calculator, by code (the API's codes)

error-generic = The item cannot be calculated ({ $code }).
error-AMOUNT_FORMAT = “{ $value }” is not a number in the expected format: digits, optionally a dot and decimals.
error-CALCULATOR_DATE = “{ $value }” is not a date in the form YYYY-MM-DD.
error-NOT_FOUND = No tariff is loaded, so nothing can be calculated.
error-DUTY-UNKNOWN-GOODS-CODE = The goods code “{ $value }” is not in the tariff.
error-DUTY-GOODS-CODE-NOT-DECLARABLE = The goods code “{ $value }” cannot be declared: choose a code with its national subdivision.
error-DUTY-GOODS-CODE-NOT-VALID = The goods code “{ $value }” is not valid on this date.
error-DUTY-MEASURES-EXPIRED = The measures for this goods code are not in force on this date.
error-DUTY-UNKNOWN-ORIGIN = The country “{ $value }” is not known to the tariff.
error-DUTY-UNKNOWN-CURRENCY = The currency “{ $value }” is not known to the tariff.
error-DUTY-NO-EXCHANGE-RATE = There is no exchange rate for “{ $value }” on this date.
error-DUTY-AMOUNT-PRECISION = The amount “{ $value }” has more decimals than the currency allows.
error-DUTY-NEGATIVE-AMOUNT = The amount cannot be negative.
error-DUTY-UNKNOWN-UNIT = The unit “{ $value }” is not known.
error-DUTY-QUANTITY-MISSING = A measure is charged per unit: enter the quantity in the unit it needs.
error-DUTY-UNKNOWN-ADDITIONAL-CODE = The additional code “{ $value }” is not in the tariff.
error-DUTY-ADDITIONAL-CODE-REQUIRED = This goods code needs an additional code.
error-DUTY-BAD-ITEM = The item cannot be read.
error-DUTY-NO-THIRD-COUNTRY-DUTY = The tariff has no base duty for this goods code.
error-DUTY-OVERFLOW = The amounts are too large to calculate.
error-DUTY-PROHIBITED = These goods may not be imported from this origin.
error-DUTY-RESTRICTION-DOCUMENT-MISSING = These goods need a licence or certificate: enter its code under documents presented.
error-DUTY-STOPPED-BY-CONDITION = A condition of a measure stops these goods.

## Kinds of measure

kind-third-country-duty = Third-country duty
kind-tariff-preference = Tariff preference
kind-suspension = Suspension
kind-tariff-quota = Tariff quota
kind-anti-dumping = Anti-dumping duty
kind-countervailing = Countervailing duty
kind-additional-duty = Additional duty
kind-vat = VAT
kind-excise = Excise
kind-prohibition = Prohibition
kind-restriction = Restriction

## Tariff browser

tariff-title = Tariff browser
tariff-lead = Search the goods nomenclature by code or by words, then open a heading to see its lines and the measures in force today.
tariff-search-label = Code or words
tariff-search-hint = For example 8471 or horses
tariff-search = Search
tariff-results-for = Results for “{ $query }”
tariff-nothing-found = Nothing in the nomenclature matches “{ $query }”.
tariff-more = More codes match: refine the search to see them.
tariff-col-code = Code
tariff-col-description = Description
tariff-col-heading = Heading
tariff-heading-title = Heading { $heading }
tariff-no-heading = The nomenclature has no heading “{ $heading }”.
tariff-no-measures = No measure of its own is in force today.
tariff-col-measure = Measure
tariff-col-duty = Duty
tariff-col-details = Details
tariff-col-validity = In force
tariff-additional-code = additional code { $code }
tariff-quota = quota { $order }
tariff-conditions = { $count } condition(s)
tariff-valid-from = from { $from }
tariff-valid-from-to = from { $from } to { $to }

## Customs offices

offices-title = Customs offices
offices-lead = Every customs office in the reference data, with what it handles and where it is.
offices-count = { $count } offices
offices-map-title = Map of the customs offices
offices-map-caption = Each dot is an office, placed by its coordinates; colours tell the country.
offices-no-coordinates = The reference data has no coordinates for the offices, so only the list is shown.
offices-list-caption = Offices and their roles
offices-col-code = Code
offices-col-name = Name
offices-col-place = Place
offices-col-roles = Roles
offices-col-coordinates = Coordinates
offices-hours-note = Working hours are in the office's local time: Kyrgyzstan UTC+6, Kazakhstan and Uzbekistan UTC+5 (no summer time). “Open now” follows the published hours at the moment the page was made; public holidays are not counted. The hours and services are demo values.
offices-col-hours = Working hours
offices-col-services = Services
offices-hours-always = Round the clock
offices-hours-none = Not published
offices-open-now = Open now
offices-closed-now = Closed now
office-day-mo = Mon
office-day-tu = Tue
office-day-we = Wed
office-day-th = Thu
office-day-fr = Fri
office-day-sa = Sat
office-day-su = Sun
office-service-import = import clearance
office-service-export = export clearance
office-service-transit = transit
office-service-storage = temporary storage and warehousing
office-service-guarantee = guarantees
office-service-ruling = binding tariff and origin rulings
office-service-audit = post-clearance audit
office-service-lab = customs laboratory
office-service-vet = veterinary control
office-service-phyto = phytosanitary control
office-service-passenger = travellers
office-service-excise = excise stamps
offices-east = { $deg }° E
offices-north = { $deg }° N
office-role-DEP = departure
office-role-DES = destination
office-role-TRA = transit
office-role-EXT = exit
office-role-ENT = entry
office-role-IMP = import
office-role-EXP = export
office-role-GUA = guarantees
office-role-RSS = risk and supervision

## Service status

status-title = Service status
status-lead = What this instance of the service reports about itself.
status-database = Database
status-database-ok = reachable
status-database-down = unreachable
status-version = Version
status-uptime = Running for
status-tariff = Tariff in use
status-machine = For monitoring software:
status-days = { $n } d
status-hours = { $n } h
status-minutes = { $n } min

## Error pages

error-page-status = Status
error-page-request-id = Request id
error-page-home = Go to the home page
error-page-400-title = The request could not be understood
error-page-400-text = Something in the address or the form is not in the expected form.
error-page-401-title = Please sign in
error-page-401-text = This page is only for signed-in users.
error-page-403-title = Not allowed
error-page-403-text = Your account may not open this page.
error-page-404-title = Page not found
error-page-404-text = There is no page at this address. Check the address or start from the home page.
error-page-405-title = Not possible here
error-page-405-text = This page cannot be used that way.
error-page-408-title = Too slow
error-page-408-text = The request did not arrive in time. Please try again.
error-page-413-title = Too large
error-page-413-text = What was sent is larger than the service accepts.
error-page-429-title = Too many requests
error-page-429-text = Please wait a moment and try again.
error-page-500-title = Something went wrong
error-page-500-text = The service could not show this page. The request id below identifies the problem in the service's log.
error-page-503-title = Service unavailable
error-page-503-text = The service cannot answer right now. Please try again later.

# The duty engine's words in a duty line's base.
engine-customs-value = customs value
engine-duties = duties
engine-excise = excise
