package nlu

// stopwords carry no topic: they are skipped when scoring (patterns still
// see them). English and Spanish, folded.
var stopwords = set(`
a an the and or but if so of to in on at by for from with about as into than then
i im ive id me my mine myself we our us you your yours he she him her his they them their it its
is am are was were be been being do does did doing done have has had having will would shall should
can could may might must get got getting go going gone
this that these those there here what which who whom whose when where why how
just really very also too still even ever much many more most some any all each few
um uh hi hey hello oh ok okay like well yeah yes please thanks thank lol
tbh ngl fr btw imo imho lmao omg smh fyi lmk bruh lowkey deadass
not no dont doesnt didnt cant wont isnt arent wasnt havent
want wanted wondering wonder know question ask asking tell let
one thing things kind sort guy guys someone something anything
up out over off again now right time
actually exactly basically honestly literally simply approximately roughly usually regards sincerely whom concern wishes cheers
el la los las un una unos unas de del que y o en es son por para con sin mi mis me se lo le les
su sus yo tu te nos al como pero mas muy ya si eso esto este esta estoy estan ser hay tiene tengo
puede puedo pueden hacer hace hacen quiero necesito saber buenas buenos hola gracias porque cual cuales
`)

// common are everyday words that must never be "corrected" into FAQ words.
var common = set(`
yesterday today tomorrow tonight morning night week weeks month months year years day days hour hours minute minutes
monday tuesday wednesday thursday friday saturday sunday weekend
lunes martes miercoles jueves viernes sabado domingo manana semana mes hoy ayer tarde noche
sister brother mother mom dad father husband wife son daughter kid kids friend family baby
work job home school car house game last next first second other same new old good bad great best
feel feeling felt think said says say tried tired sick fine sure okay thing wait call text provide provides provided providing
make made take took give gave come came see saw look looks find found use used need needs
again back away down only maybe because while since until
note notes cancer plan rest team dear letter paper sign signs office practice
says heard told read true sure maybe hi um hey guys team dear
heat head heal hear heart hurt hurts hair hand hands arm arms leg legs knee knees back neck
eat drink sleep nap walk run gym shower work out water coffee alcohol wine
true false real fake yes yeah nope cool nice awesome sounds perfect
`)

func set(s string) map[string]bool {
	m := map[string]bool{}
	w := ""
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\n' || s[i] == '\t' {
			if w != "" {
				m[w] = true
			}
			w = ""
			continue
		}
		w += string(s[i])
	}
	return m
}

// IsCommon reports an everyday word (narrative, not topic), given as a
// word or as its stem ("office" and "offic").
func IsCommon(w string) bool { return common[w] || commonStems[w] }

// commonStems are the stems of the everyday words.
var commonStems = func() map[string]bool {
	m := map[string]bool{}
	for w := range common {
		if s := Stem(w); s != w {
			m[s] = true
		}
	}
	return m
}()

// IsStopword reports whether a folded word carries no topic.
func IsStopword(w string) bool { return stopwords[w] }

var esMarkers = set(`
el la los las un una de del que y en es son por para con sin mi mis me se lo le su yo tu te nos al como
pero mas muy si eso esto este esta estoy estan hay tiene tengo puede puedo pueden hacer hace hacen quiero
necesito saber buenas buenos hola gracias porque cuanto cuanta cuando donde cual quien dolor ayuda sirve
despues antes dias semanas meses horas cita duele duro dura tratamiento inyeccion inyecciones cara boca
labios lengua respirar tragar hablar tambien usted ustedes ayudar puedes tarde tardes noches bien vale
`)

var enMarkers = set(`
the a an is are was were be do does did i you my your it this that what how can could would should will
to for of and in on with have has get after before about if when where who why there they we me just
not dont cant im its hi hello thanks please long last does hurt safe much help
`)

// DetectLang guesses "en" or "es" from function words and Spanish letters;
// it returns "" when there is no evidence either way.
func DetectLang(t Text) string {
	es, en := 0, 0
	if t.Accents {
		es += 2
	}
	for _, w := range t.Words {
		if esMarkers[w.W] {
			es++
		}
		if enMarkers[w.W] {
			en++
		}
	}
	switch {
	case es > en:
		return "es"
	case en > es:
		return "en"
	case en > 0:
		return "en"
	}
	return ""
}
