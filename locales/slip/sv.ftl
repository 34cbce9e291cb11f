# Lappen till gästen på svenska (src/web/slip.rs). Varje nyckel finns i
# alla locales/slip/*.ftl; annars fallerar ett test. Korta, enkla meningar.

slip-title = Din säng på härbärget
slip-shelter = Härbärge
slip-address = Adress
slip-phone = Telefon
slip-bed = Din säng
slip-first-night = Första natten (kvällen)
slip-leave = Lämna sängen (morgonen)
slip-checkin = Kom
slip-checkin-value = varje kväll före kl. { $time }
slip-checkin-text = Om du kommer efter kl. { $time } kan din säng gå till någon annan den natten.
slip-nights = Dina nätter och sängar
slip-night = Natt
slip-wait-heading = Efter din vistelse: karenstid
slip-wait-nights = Ingen säng dessa nätter
slip-wait-text = Under karenstiden kan du inte få en säng på något härbärge.
slip-again = Du kan få en ny säng från (kvällen)
slip-keep = Spara lappen. Visa den i dörren.

## Datum: "söndag 1 december 2019"

date-long = { $weekday } { $day } { $month } { $year }
weekday-1 = måndag
weekday-2 = tisdag
weekday-3 = onsdag
weekday-4 = torsdag
weekday-5 = fredag
weekday-6 = lördag
weekday-7 = söndag
month-1 = januari
month-2 = februari
month-3 = mars
month-4 = april
month-5 = maj
month-6 = juni
month-7 = juli
month-8 = augusti
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december
