# A vendég cédulája magyarul (src/web/slip.rs). Minden kulcs megvan az
# összes locales/slip/*.ftl fájlban; különben egy teszt elbukik. Rövid,
# egyszerű mondatok. Anyanyelvű munkatárs ellenőrizze a szervezeteknél.

slip-title = Az ágyad az éjjeli menedékhelyen
slip-shelter = Éjjeli menedékhely
slip-address = Cím
slip-phone = Telefon
slip-bed = Az ágyad
slip-first-night = Első éjszaka (este)
slip-leave = Az ágy elhagyása (reggel)
slip-checkin = Érkezés
slip-checkin-value = minden este { $time } előtt
slip-checkin-text = Ha { $time } után érkezel, az ágyadat arra az éjszakára másnak adhatják.
slip-nights = Az éjszakáid és az ágyaid
slip-night = Éjszaka
slip-wait-heading = A tartózkodás után: várakozási idő (karenstid)
slip-wait-nights = Ezeken az éjszakákon nincs ágy
slip-wait-text = A várakozási idő alatt egyik éjjeli menedékhelyen sem kaphatsz ágyat.
slip-again = Mikor kaphatsz újra ágyat (este)
slip-keep = Őrizd meg ezt a lapot. Mutasd meg a bejáratnál.

## Dátumok: "2019. december 1., vasárnap"

date-long = { $year }. { $month } { $day }., { $weekday }
weekday-1 = hétfő
weekday-2 = kedd
weekday-3 = szerda
weekday-4 = csütörtök
weekday-5 = péntek
weekday-6 = szombat
weekday-7 = vasárnap
month-1 = január
month-2 = február
month-3 = március
month-4 = április
month-5 = május
month-6 = június
month-7 = július
month-8 = augusztus
month-9 = szeptember
month-10 = október
month-11 = november
month-12 = december
